import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  consistencyPath,
  EMPTY_ROOT,
  Frontier,
  hashChildren,
  hashLeaf,
  inclusionPath,
  rootFromInclusionPath,
  type SubtreeSource,
  verifyConsistencyPath,
} from "./merkle.js";

// A naive reference: RFC 9162 section 2.1 written as literally as possible.
const sha = (...parts: Buffer[]) => createHash("sha256").update(Buffer.concat(parts)).digest();
const largestPowerBelow = (n: number) => 2 ** Math.floor(Math.log2(n - 1));

function mth(d: Buffer[]): Buffer {
  if (d.length === 0) return sha();
  if (d.length === 1) return sha(Buffer.of(0), d[0]!);
  const k = largestPowerBelow(d.length);
  return sha(Buffer.of(1), mth(d.slice(0, k)), mth(d.slice(k)));
}

function refPath(m: number, d: Buffer[]): Buffer[] {
  if (d.length === 1) return [];
  const k = largestPowerBelow(d.length);
  return m < k
    ? [...refPath(m, d.slice(0, k)), mth(d.slice(k))]
    : [...refPath(m - k, d.slice(k)), mth(d.slice(0, k))];
}

function refSubproof(m: number, d: Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const k = largestPowerBelow(d.length);
  return m <= k
    ? [...refSubproof(m, d.slice(0, k), b), mth(d.slice(k))]
    : [...refSubproof(m - k, d.slice(k), false), mth(d.slice(0, k))];
}

/** A subtree source over an in-memory leaf list, built as the store builds it. */
function memoryTree(n: number) {
  const data = Array.from({ length: n }, (_, i) => Buffer.from(`leaf ${i}`));
  const nodes = new Map<string, Buffer>();
  const frontier = new Frontier();
  const roots: Buffer[] = [EMPTY_ROOT];
  for (const [i, d] of data.entries()) {
    const leaf = hashLeaf(d);
    nodes.set(`0/${i}`, leaf);
    frontier.push(leaf, (level, index, hash) => nodes.set(`${level}/${index}`, hash));
    roots.push(frontier.root());
  }
  const source: SubtreeSource = {
    subtree: (level, index) => {
      const hash = nodes.get(`${level}/${index}`);
      if (!hash) throw new Error(`missing ${level}/${index}`);
      return hash;
    },
  };
  return { data, source, roots, frontier };
}

const N = 70;

describe("RFC 9162 Merkle tree", () => {
  const { data, source, roots } = memoryTree(N);

  it("hashes leaves and nodes with domain separation", () => {
    expect(EMPTY_ROOT.toString("hex")).toBe(
      "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    );
    expect(hashLeaf(Buffer.alloc(0)).toString("hex")).toBe(
      "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    );
    const a = hashLeaf(Buffer.from("a"));
    expect(hashChildren(a, a)).toEqual(sha(Buffer.of(1), a, a));
  });

  it("computes the same root as the reference for every size 0..70", () => {
    for (let n = 0; n <= N; n++) expect(roots[n], `size ${n}`).toEqual(mth(data.slice(0, n)));
  });

  it("rebuilds the right edge from stored subtrees at any size", () => {
    for (let n = 0; n <= N; n++) expect(Frontier.load(source, n).root()).toEqual(roots[n]);
  });

  it("produces and verifies the reference inclusion proof for every leaf of every size", () => {
    for (let n = 1; n <= N; n++) {
      for (let m = 0; m < n; m++) {
        const path = inclusionPath(source, m, n);
        expect(path, `${m} in ${n}`).toEqual(refPath(m, data.slice(0, n)));
        expect(rootFromInclusionPath(m, n, hashLeaf(data[m]!), path)).toEqual(roots[n]);
      }
    }
  });

  it("rejects wrong inclusion proofs", () => {
    const path = inclusionPath(source, 5, 20);
    const leaf = hashLeaf(data[5]!);
    expect(rootFromInclusionPath(6, 20, leaf, path)).not.toEqual(roots[20]);
    expect(rootFromInclusionPath(5, 20, hashLeaf(data[6]!), path)).not.toEqual(roots[20]);
    expect(() => rootFromInclusionPath(5, 20, leaf, path.slice(1))).toThrow(/too short/);
    expect(() => rootFromInclusionPath(5, 20, leaf, [...path, leaf])).toThrow(/too long/);
    expect(() => rootFromInclusionPath(20, 20, leaf, path)).toThrow(/not in a tree/);
  });

  it("produces and verifies the reference consistency proof for every pair of sizes", () => {
    for (let n = 1; n <= N; n++) {
      for (let m = 1; m < n; m++) {
        const path = consistencyPath(source, m, n);
        expect(path, `${m} -> ${n}`).toEqual(refSubproof(m, data.slice(0, n), true));
        verifyConsistencyPath(m, n, roots[m]!, roots[n]!, path);
      }
    }
  });

  it("accepts the trivial consistency cases and rejects wrong proofs", () => {
    verifyConsistencyPath(0, 10, EMPTY_ROOT, roots[10]!, []);
    verifyConsistencyPath(10, 10, roots[10]!, roots[10]!, []);
    const path = consistencyPath(source, 7, 30);
    expect(() => verifyConsistencyPath(7, 30, roots[8]!, roots[30]!, path)).toThrow(/old root/);
    expect(() => verifyConsistencyPath(7, 30, roots[7]!, roots[29]!, path)).toThrow(/new root/);
    expect(() => verifyConsistencyPath(7, 30, roots[7]!, roots[30]!, path.slice(1))).toThrow();
    expect(() => verifyConsistencyPath(7, 30, roots[7]!, roots[30]!, [])).toThrow(/empty/);
    expect(() => verifyConsistencyPath(10, 10, roots[10]!, roots[9]!, [])).toThrow(/differ/);
  });
});
