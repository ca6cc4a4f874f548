import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { KEY_FILE, SecretStore, STORE_FILE } from "./index.js";
import { withLock } from "./lock.js";

const home = () => mkdtempSync(join(tmpdir(), "warden-creds-"));
const VALUE = "crm-token-7f3a9c1e";

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (error) {
    return (error as { code?: string }).code;
  }
  return undefined;
}

describe("SecretStore", () => {
  it("round-trips values, creates key and store 0600, and never writes a value in clear", () => {
    const dir = home();
    const store = SecretStore.open(dir);
    expect(store.list()).toEqual([]); // no key, no file: empty, nothing created
    expect(readdirSync(dir)).toEqual([]);
    expect(store.set("CRM_TOKEN", VALUE, 1000)).toBe(true);
    expect(store.set("CRM_TOKEN", `${VALUE}-2`, 2000)).toBe(false);
    store.set("mail.key", "m");
    expect(SecretStore.open(dir).get("CRM_TOKEN")).toBe(`${VALUE}-2`);
    expect(store.list().map((s) => s.name)).toEqual(["CRM_TOKEN", "mail.key"]);
    expect(store.list()[0]).toMatchObject({ createdMs: 1000, updatedMs: 2000 });
    expect([...store.values()]).toEqual([
      ["CRM_TOKEN", `${VALUE}-2`],
      ["mail.key", "m"],
    ]);
    for (const file of [KEY_FILE, STORE_FILE]) {
      expect(statSync(join(dir, file)).mode & 0o777).toBe(0o600);
    }
    expect(readFileSync(join(dir, STORE_FILE)).includes(VALUE)).toBe(false);
    expect(readdirSync(dir).sort()).toEqual([KEY_FILE, STORE_FILE]); // no temp files left
    store.remove("CRM_TOKEN");
    expect(store.get("CRM_TOKEN")).toBeUndefined();
  });

  it("uses a fresh nonce for every write", () => {
    const dir = home();
    const store = SecretStore.open(dir);
    store.set("A", "same");
    const first = readFileSync(join(dir, STORE_FILE));
    store.set("A", "same", statSync(join(dir, STORE_FILE)).mtimeMs);
    const second = readFileSync(join(dir, STORE_FILE));
    expect(first.subarray(15, 27).equals(second.subarray(15, 27))).toBe(false);
  });

  it("refuses a key file that group or others can read", () => {
    const dir = home();
    const store = SecretStore.open(dir);
    store.set("A", "v");
    chmodSync(join(dir, KEY_FILE), 0o640);
    expect(codeOf(() => store.get("A"))).toBe("CREDS_KEY_INSECURE");
    expect(codeOf(() => store.set("B", "v"))).toBe("CREDS_KEY_INSECURE");
  });

  it("refuses a store whose key is missing, or was written with another key", () => {
    const dir = home();
    SecretStore.open(dir).set("A", "v");
    const other = home();
    SecretStore.open(other).set("B", "w");
    writeFileSync(join(dir, KEY_FILE), readFileSync(join(other, KEY_FILE)), { mode: 0o600 });
    expect(codeOf(() => SecretStore.open(dir).list())).toBe("CREDS_WRONG_KEY");
    // and set must not replace the store it cannot read
    expect(codeOf(() => SecretStore.open(dir).set("C", "x"))).toBe("CREDS_WRONG_KEY");
    rmSync(join(dir, KEY_FILE));
    expect(codeOf(() => SecretStore.open(dir).list())).toBe("CREDS_KEY_MISSING");
    expect(codeOf(() => SecretStore.open(dir).set("C", "x"))).toBe("CREDS_KEY_MISSING");
    expect(readdirSync(dir)).toEqual([STORE_FILE]); // no new key was made for it
  });

  it("refuses a key file of the wrong size", () => {
    const dir = home();
    writeFileSync(join(dir, KEY_FILE), "c2hvcnQ=\n", { mode: 0o600 });
    expect(codeOf(() => SecretStore.open(dir).set("A", "v"))).toBe("CREDS_KEY_INVALID");
  });

  it("refuses a tampered, truncated or foreign store file", () => {
    const dir = home();
    const store = SecretStore.open(dir);
    store.set("A", "value-a");
    const file = join(dir, STORE_FILE);
    const good = readFileSync(file);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 20]! ^= 1;
    writeFileSync(file, flipped);
    expect(codeOf(() => store.get("A"))).toBe("CREDS_STORE_TAMPERED");
    writeFileSync(file, good.subarray(0, good.length - 1));
    expect(codeOf(() => store.get("A"))).toBe("CREDS_STORE_TAMPERED");
    writeFileSync(file, good.subarray(0, 20));
    expect(codeOf(() => store.get("A"))).toBe("CREDS_STORE_CORRUPT");
    writeFileSync(file, Buffer.concat([Buffer.from("NOTSEC"), good.subarray(6)]));
    expect(codeOf(() => store.get("A"))).toBe("CREDS_STORE_CORRUPT");
    const version = Buffer.from(good);
    version[6] = 9;
    writeFileSync(file, version);
    expect(codeOf(() => store.get("A"))).toBe("CREDS_STORE_VERSION");
    writeFileSync(file, good);
    expect(store.get("A")).toBe("value-a");
  });

  it("validates names and values, and says which name is missing", () => {
    const store = SecretStore.open(home());
    for (const bad of ["", "has space", "a/b", "${x}", "é", "x".repeat(129)]) {
      expect(codeOf(() => store.set(bad, "v"))).toBe("CREDS_BAD_NAME");
    }
    const token = ["ghp_", "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"].join("");
    expect(() => store.set(token, "v")).toThrow("that looks like a credential, not a secret name");
    expect(codeOf(() => store.set("A", ""))).toBe("CREDS_EMPTY_VALUE");
    expect(codeOf(() => store.set("A", "x".repeat(70_000)))).toBe("CREDS_VALUE_TOO_LARGE");
    expect(() => store.remove("NOPE")).toThrow(/no secret named NOPE/);
  });

  it("takes over a lock left by a dead process, and reports a live one as busy", () => {
    const dir = home();
    const store = SecretStore.open(dir);
    const lock = join(dir, `${STORE_FILE}.lock`);
    writeFileSync(lock, "");
    utimesSync(lock, new Date(Date.now() - 60_000), new Date(Date.now() - 60_000));
    store.set("A", "v");
    expect(existsSync(lock)).toBe(false);
    writeFileSync(lock, "");
    expect(codeOf(() => withLock(lock, () => 1, 50))).toBe("CREDS_STORE_BUSY");
  });

  it("reports a home it cannot use with a code", () => {
    const file = join(home(), "a-file");
    writeFileSync(file, "");
    expect(codeOf(() => SecretStore.open(join(file, "home")).set("A", "v"))).toBe(
      "CREDS_STORE_UNWRITABLE",
    );
  });
});
