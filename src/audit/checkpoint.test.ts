import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  describeCheckpoint,
  formatCheckpointText,
  openCheckpoint,
  parseCheckpointText,
  signCheckpoint,
} from "./checkpoint.js";
import { AuditError } from "./errors.js";
import { EMPTY_ROOT, hashLeaf } from "./merkle.js";
import {
  ed25519Signer,
  ed25519Verifier,
  formatVerifierKey,
  keyId,
  openNote,
  parseNote,
  parseVerifierKey,
} from "./note.js";

function keyPair(name: string) {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const raw = Buffer.from(publicKey.export({ format: "jwk" }).x!, "base64url");
  return { signer: ed25519Signer(name, privateKey, raw), verifier: ed25519Verifier(name, raw) };
}

const origin = "warden.local/test/audit";
const root = hashLeaf(Buffer.from("x"));

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    if (error instanceof AuditError) return error.code;
    throw error;
  }
  return undefined;
}

describe("C2SP signed note and checkpoint", () => {
  it("formats the checkpoint body and the signature line as the specs say", () => {
    const { signer } = keyPair(origin);
    const cp = signCheckpoint({ origin, size: 20852163, root }, signer);
    const [body, sigBlock] = cp.text.split("\n\n") as [string, string];
    expect(`${body}\n`).toBe(`${origin}\n20852163\n${root.toString("base64")}\n`);
    expect(sigBlock).toMatch(/^\u2014 warden\.local\/test\/audit [A-Za-z0-9+/]{91}=\n$/);
    const blob = Buffer.from(sigBlock.trim().split(" ")[2]!, "base64");
    expect(blob.length).toBe(4 + 64);
    expect(blob.subarray(0, 4)).toEqual(signer.keyId);
    expect(cp).toMatchObject({ origin, size: 20852163, rootHash: root.toString("base64") });
  });

  it("computes key ids and verifier keys as SHA-256(name || 0x0A || 0x01 || key)[:4]", () => {
    const key = Buffer.alloc(32, 7);
    const vkey = formatVerifierKey({ name: origin, publicKey: key });
    const [name, id, b64] = [
      vkey.slice(0, vkey.indexOf("+")),
      ...vkey.slice(vkey.indexOf("+") + 1).split(/\+(.*)/s),
    ];
    expect(name).toBe(origin);
    expect(id).toBe(keyId(origin, key).toString("hex"));
    expect(Buffer.from(b64!, "base64")).toEqual(Buffer.concat([Buffer.of(1), key]));
    expect(parseVerifierKey(vkey).publicKey).toEqual(key);
  });

  it("round-trips: sign, parse, verify", () => {
    const { signer, verifier } = keyPair(origin);
    const cp = signCheckpoint({ origin, size: 3, root }, signer);
    const vkey = formatVerifierKey(verifier);
    const body = openCheckpoint(cp.text, parseVerifierKey(vkey));
    expect(body).toEqual({ origin, size: 3, root });
    expect(describeCheckpoint(cp.text)).toEqual(cp);
    expect(parseNote(cp.text).signatures).toHaveLength(1);
    expect(
      parseCheckpointText(formatCheckpointText({ origin, size: 0, root: EMPTY_ROOT })),
    ).toEqual({
      origin,
      size: 0,
      root: EMPTY_ROOT,
    });
  });

  it("rejects a tampered body", () => {
    const { signer, verifier } = keyPair(origin);
    const cp = signCheckpoint({ origin, size: 3, root }, signer);
    expect(code(() => openCheckpoint(cp.text.replace("\n3\n", "\n4\n"), verifier))).toBe(
      "AUDIT_BAD_SIGNATURE",
    );
  });

  it("rejects a signature by another key with the same name", () => {
    const mine = keyPair(origin);
    const theirs = keyPair(origin);
    const cp = signCheckpoint({ origin, size: 3, root }, theirs.signer);
    expect(code(() => openCheckpoint(cp.text, mine.verifier))).toBe("AUDIT_BAD_SIGNATURE");
  });

  it("rejects a forged signature under the right key id", () => {
    const { signer, verifier } = keyPair(origin);
    const cp = signCheckpoint({ origin, size: 3, root }, signer);
    const forged = signCheckpoint(
      { origin, size: 3, root },
      { ...signer, sign: () => Buffer.alloc(64) },
    );
    expect(code(() => openCheckpoint(forged.text, verifier))).toBe("AUDIT_BAD_SIGNATURE");
    expect(code(() => openCheckpoint(cp.text, verifier))).toBeUndefined();
  });

  it("ignores signatures by unknown keys when a known one verifies", () => {
    const mine = keyPair(origin);
    const witness = keyPair("witness.example/w1");
    const cp = signCheckpoint({ origin, size: 3, root }, mine.signer);
    const extra = signCheckpoint({ origin, size: 3, root }, witness.signer).text.split("\n\n")[1]!;
    const cosigned = `${cp.text}${extra}`;
    expect(openNote(cosigned, [mine.verifier]).signatures).toHaveLength(2);
  });

  it("rejects a checkpoint for another origin signed with the right key", () => {
    const { signer, verifier } = keyPair(origin);
    const renamed = signCheckpoint({ origin: "elsewhere/log", size: 3, root }, signer);
    expect(code(() => openCheckpoint(renamed.text, verifier))).toBe("AUDIT_ORIGIN_MISMATCH");
  });

  it("rejects malformed notes, checkpoints and verifier keys", () => {
    const bodyOk = `${origin}\n3\n${root.toString("base64")}\n`;
    expect(code(() => parseNote(bodyOk))).toBe("AUDIT_BAD_NOTE");
    expect(code(() => parseNote(`${bodyOk}\n— name notbase64!\n`))).toBe("AUDIT_BAD_NOTE");
    expect(code(() => parseNote(`${bodyOk}\n-- name AAAAAAA=\n`))).toBe("AUDIT_BAD_NOTE");
    expect(code(() => parseCheckpointText(`${origin}\n03\n${root.toString("base64")}\n`))).toBe(
      "AUDIT_BAD_CHECKPOINT",
    );
    expect(code(() => parseCheckpointText(`${origin}\n3\nAAAA\n`))).toBe("AUDIT_BAD_CHECKPOINT");
    expect(code(() => parseCheckpointText(`${origin}\n3\n`))).toBe("AUDIT_BAD_CHECKPOINT");
    expect(code(() => parseVerifierKey("name+00000000+AQ=="))).toBe("AUDIT_BAD_VERIFIER_KEY");
    const vkey = formatVerifierKey(keyPair(origin).verifier);
    expect(code(() => parseVerifierKey(vkey.replace(/\+[0-9a-f]{8}\+/, "+00000000+")))).toBe(
      "AUDIT_BAD_VERIFIER_KEY",
    );
  });
});
