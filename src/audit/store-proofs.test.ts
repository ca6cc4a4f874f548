import { createHash } from "node:crypto";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog, eventLeafHash } from "./index.js";
import { NODE_MIN_LEVEL } from "./store.js";

// The RFC 9162 reference, written as literally as possible (as in merkle.test.ts).
const sha = (...parts: Buffer[]) => createHash("sha256").update(Buffer.concat(parts)).digest();
const largestPowerBelow = (n: number) => 2 ** Math.floor(Math.log2(n - 1));

function mthOfLeaves(leaves: Buffer[]): Buffer {
  if (leaves.length === 1) return leaves[0]!;
  const k = largestPowerBelow(leaves.length);
  return sha(Buffer.of(1), mthOfLeaves(leaves.slice(0, k)), mthOfLeaves(leaves.slice(k)));
}

function refPath(m: number, leaves: Buffer[]): Buffer[] {
  if (leaves.length === 1) return [];
  const k = largestPowerBelow(leaves.length);
  return m < k
    ? [...refPath(m, leaves.slice(0, k)), mthOfLeaves(leaves.slice(k))]
    : [...refPath(m - k, leaves.slice(k)), mthOfLeaves(leaves.slice(0, k))];
}

function refSubproof(m: number, leaves: Buffer[], b: boolean): Buffer[] {
  if (m === leaves.length) return b ? [] : [mthOfLeaves(leaves)];
  const k = largestPowerBelow(leaves.length);
  return m <= k
    ? [...refSubproof(m, leaves.slice(0, k), b), mthOfLeaves(leaves.slice(k))]
    : [...refSubproof(m - k, leaves.slice(k), false), mthOfLeaves(leaves.slice(0, k))];
}

const hex = (hashes: Buffer[]) => hashes.map((h) => h.toString("hex"));

/**
 * The store keeps Merkle nodes from NODE_MIN_LEVEL up and folds lower subtrees from leaf hashes
 * (a tile of 2^NODE_MIN_LEVEL leaves at a time): proofs must not depend on where a tree ends
 * relative to those tiles.
 */
describe("proofs served from the store, across tile boundaries", () => {
  const tile = 2 ** NODE_MIN_LEVEL;
  const total = 4 * tile + 3;
  let log: AuditLog;
  let leaves: Buffer[];

  beforeAll(async () => {
    log = AuditLog.open({
      home: mkdtempSync(join(tmpdir(), "warden-tiles-")),
      autoCheckpoint: false,
    });
    for (let i = 0; i < total; i += 7) {
      const batch = Array.from({ length: Math.min(7, total - i) }, (_, k) =>
        log.append({
          kind: "exec",
          pep: "test",
          principal: { agent: "a" },
          target: { command: `echo ${i + k}` },
        }),
      );
      await Promise.all(batch);
    }
    leaves = [...log.events()].map((e) => Buffer.from(eventLeafHash(e), "hex"));
  });
  afterAll(() => log.close());

  const sizes = [1, 2, 3, tile - 1, tile, tile + 1, 2 * tile - 1, 2 * tile, 2 * tile + 1, 3 * tile];
  sizes.push(4 * tile - 1, 4 * tile, 4 * tile + 1, total);

  it.each(sizes)("inclusion proofs of every leaf in the tree of size %i", (size) => {
    for (let m = 0; m < size; m++) {
      const proof = log.proveInclusion(m, size);
      expect(proof.leafHash).toBe(leaves[m]!.toString("hex"));
      expect(proof.path).toEqual(hex(refPath(m, leaves.slice(0, size))));
    }
  });

  it.each(sizes)("consistency proofs from every size to %i", (size) => {
    for (let m = 1; m < size; m++) {
      const proof = log.proveConsistency(m, size);
      expect(proof.path).toEqual(hex(refSubproof(m, leaves.slice(0, size), true)));
    }
  });

  it("signs the root the reference computes", () => {
    expect(Buffer.from(log.checkpoint().rootHash, "base64")).toEqual(mthOfLeaves(leaves));
  });
});
