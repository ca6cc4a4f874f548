/**
 * Warden's secret store: the values of upstream API tokens and the like, in one AES-256-GCM file
 * (`$WARDEN_HOME/secrets.enc`) whose key lives beside it in `secret.key` (see key.ts).
 *
 * File layout: `WDNSEC` magic, a version byte and the 8-byte key id form the header, which is
 * authenticated as additional data; then a fresh random 96-bit nonce per write, the ciphertext of
 * a JSON document, and the 16-byte tag. Every write goes to a private temporary file that is
 * fsynced and renamed into place, so a reader sees the old store or the new one, never half.
 *
 * Fails closed: a missing key for an existing store, a key of the wrong mode, another key, a
 * truncated or edited file are each an error with a code; nothing is ever silently emptied.
 */
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";
import { mkdirSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { redactCredentialShapes } from "../audit/index.js";
import { WardenError } from "../errors.js";
import { writePrivateFile } from "../private-file.js";
import { loadOrCreateStoreKey, messageOf, readStoreKey, type StoreKey } from "./key.js";
import { withLock } from "./lock.js";

export const STORE_FILE = "secrets.enc";
export const KEY_FILE = "secret.key";

const MAGIC = Buffer.from("WDNSEC", "latin1");
const VERSION = 1;
const HEADER_BYTES = MAGIC.length + 1 + 8;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Secret names: what `${secret:NAME}` and audit events can carry without quoting. */
const NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const MAX_VALUE_BYTES = 64 * 1024;

export interface SecretInfo {
  name: string;
  createdMs: number;
  updatedMs: number;
}

interface Entry {
  value: string;
  created: number;
  updated: number;
}
type Contents = Record<string, Entry>;

export class SecretStore {
  readonly file: string;
  readonly keyFile: string;

  private constructor(readonly home: string) {
    this.file = join(home, STORE_FILE);
    this.keyFile = join(home, KEY_FILE);
  }

  /** The store under `home` (default $WARDEN_HOME, else ~/.warden); nothing is read yet. */
  static open(home?: string): SecretStore {
    return new SecretStore(resolve(home ?? process.env.WARDEN_HOME ?? join(homedir(), ".warden")));
  }

  list(): SecretInfo[] {
    return Object.entries(this.read())
      .map(([name, e]) => ({ name, createdMs: e.created, updatedMs: e.updated }))
      .sort((a, b) => (a.name < b.name ? -1 : 1));
  }

  /** Every secret's value by name: what the gateway injects and scans for. */
  values(): Map<string, string> {
    return new Map(Object.entries(this.read()).map(([name, e]) => [name, e.value]));
  }

  get(name: string): string | undefined {
    checkName(name);
    return this.read()[name]?.value;
  }

  /** Stores a value; true if the name is new. */
  set(name: string, value: string, now = Date.now()): boolean {
    checkName(name);
    if (value.length === 0) {
      throw new WardenError("CREDS_EMPTY_VALUE", `the value for secret ${name} is empty`);
    }
    if (Buffer.byteLength(value) > MAX_VALUE_BYTES) {
      throw new WardenError(
        "CREDS_VALUE_TOO_LARGE",
        `the value for secret ${name} is over ${MAX_VALUE_BYTES} bytes`,
      );
    }
    return this.change(() => {
      // Read before creating a key: a store whose key is lost must not get a new one.
      const contents = this.read();
      const key = this.key(true)!;
      const existing = contents[name];
      contents[name] = { value, created: existing?.created ?? now, updated: now };
      this.write(contents, key);
      return existing === undefined;
    });
  }

  remove(name: string): void {
    checkName(name);
    this.change(() => {
      const contents = this.read();
      if (contents[name] === undefined) {
        throw new WardenError("CREDS_NO_SECRET", `there is no secret named ${name}`, {
          hint: "warden secrets list shows the names held",
        });
      }
      delete contents[name];
      this.write(contents, this.key(false)!);
    });
  }

  /** One read-modify-write at a time, across processes. */
  private change<T>(fn: () => T): T {
    try {
      mkdirSync(this.home, { recursive: true, mode: 0o700 });
    } catch (error) {
      throw this.error("CREDS_STORE_UNWRITABLE", `cannot create ${this.home}: ${messageOf(error)}`);
    }
    return withLock(`${this.file}.lock`, fn);
  }

  private key(create: boolean): StoreKey | undefined {
    return create ? loadOrCreateStoreKey(this.keyFile) : readStoreKey(this.keyFile);
  }

  private read(key = this.key(false)): Contents {
    let data: Buffer;
    try {
      data = readFileSync(this.file);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
      throw this.error("CREDS_STORE_UNREADABLE", `cannot read it: ${messageOf(error)}`);
    }
    if (key === undefined) {
      throw this.error("CREDS_KEY_MISSING", `its key ${this.keyFile} is missing`, {
        hint: "restore secret.key from a backup; without it the stored secrets cannot be read",
      });
    }
    if (data.length < HEADER_BYTES + NONCE_BYTES + TAG_BYTES) {
      throw this.error("CREDS_STORE_CORRUPT", "it is truncated");
    }
    const header = data.subarray(0, HEADER_BYTES);
    if (!header.subarray(0, MAGIC.length).equals(MAGIC)) {
      throw this.error("CREDS_STORE_CORRUPT", "it is not a Warden secret store");
    }
    if (header[MAGIC.length] !== VERSION) {
      throw this.error("CREDS_STORE_VERSION", `unknown version ${header[MAGIC.length]}`);
    }
    if (!header.subarray(MAGIC.length + 1).equals(key.id)) {
      throw this.error("CREDS_WRONG_KEY", `it was written with another key than ${this.keyFile}`);
    }
    const nonce = data.subarray(HEADER_BYTES, HEADER_BYTES + NONCE_BYTES);
    const tag = data.subarray(data.length - TAG_BYTES);
    let plain: Buffer;
    try {
      const decipher = createDecipheriv("aes-256-gcm", key.bytes, nonce);
      decipher.setAAD(header);
      decipher.setAuthTag(tag);
      plain = Buffer.concat([
        decipher.update(data.subarray(HEADER_BYTES + NONCE_BYTES, data.length - TAG_BYTES)),
        decipher.final(),
      ]);
    } catch {
      throw this.error("CREDS_STORE_TAMPERED", "it fails authentication (edited or truncated)");
    }
    try {
      const json = JSON.parse(plain.toString("utf8")) as { version?: unknown; secrets?: unknown };
      if (typeof json.secrets !== "object" || json.secrets === null) throw new Error("no secrets");
      return json.secrets as Contents;
    } catch (error) {
      throw this.error("CREDS_STORE_CORRUPT", `its contents cannot be read: ${messageOf(error)}`);
    }
  }

  private write(contents: Contents, key: StoreKey): void {
    const header = Buffer.concat([MAGIC, Buffer.from([VERSION]), key.id]);
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv("aes-256-gcm", key.bytes, nonce);
    cipher.setAAD(header);
    const body = Buffer.concat([
      cipher.update(JSON.stringify({ version: VERSION, secrets: contents }), "utf8"),
      cipher.final(),
    ]);
    const data = Buffer.concat([header, nonce, body, cipher.getAuthTag()]);
    try {
      writePrivateFile(this.file, data);
    } catch (error) {
      throw this.error("CREDS_STORE_UNWRITABLE", `cannot write it: ${messageOf(error)}`);
    }
  }

  private error(code: string, why: string, options?: { hint?: string }): WardenError {
    return new WardenError(code, `secret store ${this.file}: ${why}`, options);
  }
}

export function checkName(name: string): void {
  // `warden secrets set ghp_…` is a value typed where the name goes: refuse it, unechoed.
  if (redactCredentialShapes(name) !== name) {
    throw new WardenError("CREDS_BAD_NAME", "that looks like a credential, not a secret name", {
      hint: "give a name (warden secrets set github-token) and the value on stdin or at the prompt",
    });
  }
  if (!NAME.test(name)) {
    throw new WardenError(
      "CREDS_BAD_NAME",
      `${JSON.stringify(name.slice(0, 140))} is not a secret name`,
      { hint: "names use letters, digits, '_', '.' and '-' (at most 128)" },
    );
  }
}
