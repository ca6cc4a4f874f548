import { createHash, hash } from "node:crypto";
import { AuditError } from "./errors.js";

/**
 * RFC 9162 (Certificate Transparency 2.0) Merkle tree hashing, section 2.1, with SHA-256.
 *
 *   MTH({})      = SHA-256()
 *   MTH({d0})    = SHA-256(0x00 || d0)
 *   MTH(D[n])    = SHA-256(0x01 || MTH(D[0:k]) || MTH(D[k:n]))   k = largest power of two < n
 *
 * Sizes and indexes are JavaScript numbers (exact to 2^53): bit operators are 32-bit, so this
 * module shifts with division and tests the low bit with `% 2`.
 */

export const HASH_SIZE = 32;
const LEAF_PREFIX = Buffer.of(0x00);
const NODE_PREFIX = Buffer.of(0x01);

export const EMPTY_ROOT: Buffer = createHash("sha256").digest();

export function hashLeaf(data: Uint8Array): Buffer {
  return createHash("sha256").update(LEAF_PREFIX).update(data).digest();
}

/**
 * One-shot SHA-256 into a Buffer. A "buffer" digest gets its own ArrayBuffer, which costs about
 * as much as the hash itself (and more at GC); a latin1 digest copied into Buffer's pool does not.
 */
export function sha256(data: string | Uint8Array): Buffer {
  return Buffer.from(hash("sha256", data, "binary"), "latin1");
}

/** hashLeaf of a string's UTF-8 bytes, in one call (the hot path of append and verify). */
export function hashLeafText(text: string): Buffer {
  // U+0000 encodes as the single byte 0x00: the leaf prefix.
  return sha256(`\u0000${text}`);
}

// hash() is synchronous, so one scratch buffer serves every call.
const scratch = Buffer.alloc(1 + 2 * HASH_SIZE);
scratch[0] = NODE_PREFIX[0]!;

export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  if (left.length === HASH_SIZE && right.length === HASH_SIZE) {
    scratch.set(left, 1);
    scratch.set(right, 1 + HASH_SIZE);
    return sha256(scratch);
  }
  return createHash("sha256").update(NODE_PREFIX).update(left).update(right).digest();
}

/** The largest power of two strictly less than n (n >= 2): the RFC's split point k. */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** A complete subtree: 2^level leaves starting at leaf index * 2^level. */
export interface Subtree {
  level: number;
  index: number;
}

/** Anything that can return the hash of a complete subtree (level 0 = a leaf hash). */
export interface SubtreeSource {
  subtree(level: number, index: number): Uint8Array;
}

/**
 * The complete subtrees, largest first, whose concatenation is leaves [start, end). For the
 * ranges the RFC's recursion produces (start aligned to the range's largest power of two), the
 * range's MTH is these hashes folded from the right.
 */
export function completeSubtrees(start: number, end: number): Subtree[] {
  const parts: Subtree[] = [];
  let at = start;
  while (at < end) {
    let level = 0;
    while (at % 2 ** (level + 1) === 0 && at + 2 ** (level + 1) <= end) level++;
    parts.push({ level, index: at / 2 ** level });
    at += 2 ** level;
  }
  return parts;
}

/** Folds subtree hashes, largest (leftmost) first, into the hash of their whole range. */
export function foldRight(hashes: readonly Uint8Array[]): Buffer {
  const last = hashes.at(-1);
  if (last === undefined) return EMPTY_ROOT;
  let root: Buffer = Buffer.from(last);
  for (let i = hashes.length - 2; i >= 0; i--) root = hashChildren(hashes[i]!, root);
  return root;
}

/** MTH(D[start:end]) from stored complete-subtree hashes: O(log n) lookups. */
export function rangeHash(source: SubtreeSource, start: number, end: number): Buffer {
  if (end <= start) return EMPTY_ROOT;
  return foldRight(completeSubtrees(start, end).map((s) => source.subtree(s.level, s.index)));
}

/**
 * The right edge of a growing tree: the complete subtrees covering [0, size), largest first.
 * Appending a leaf merges equal-sized subtrees, reporting each new complete node, so the caller
 * can persist it — the same structure transparency-log tiles keep.
 */
export class Frontier {
  private readonly hashes: Buffer[] = [];
  private readonly levels: number[] = [];
  private count = 0;

  static load(source: SubtreeSource, size: number): Frontier {
    const frontier = new Frontier();
    for (const s of completeSubtrees(0, size)) {
      frontier.hashes.push(Buffer.from(source.subtree(s.level, s.index)));
      frontier.levels.push(s.level);
    }
    frontier.count = size;
    return frontier;
  }

  get size(): number {
    return this.count;
  }

  /** Adds a leaf hash; `onNode` sees every complete subtree (level >= 1) this closes. */
  push(leaf: Buffer, onNode?: (level: number, index: number, hash: Buffer) => void): void {
    const leafIndex = this.count;
    let hash = leaf;
    let level = 0;
    while (this.levels.length > 0 && this.levels[this.levels.length - 1] === level) {
      this.levels.pop();
      hash = hashChildren(this.hashes.pop()!, hash);
      level++;
      onNode?.(level, Math.floor(leafIndex / 2 ** level), hash);
    }
    this.hashes.push(hash);
    this.levels.push(level);
    this.count++;
  }

  root(): Buffer {
    return foldRight(this.hashes);
  }
}

/** RFC 9162 2.1.3.1: the audit path for leaf `index` in the tree of the first `size` leaves. */
export function inclusionPath(source: SubtreeSource, index: number, size: number): Buffer[] {
  if (!(index >= 0 && index < size)) {
    throw new AuditError("AUDIT_BAD_ARGUMENT", `leaf ${index} is not in a tree of size ${size}`);
  }
  const path: Buffer[] = [];
  let lo = 0;
  let hi = size;
  while (hi - lo > 1) {
    const k = splitPoint(hi - lo);
    if (index < lo + k) {
      path.push(rangeHash(source, lo + k, hi));
      hi = lo + k;
    } else {
      path.push(rangeHash(source, lo, lo + k));
      lo += k;
    }
  }
  // The recursion emits siblings root-first; the path is read leaf-first.
  return path.reverse();
}

/** RFC 9162 2.1.4.1: PROOF(m, D[n]) = SUBPROOF(m, D[n], true). */
export function consistencyPath(source: SubtreeSource, oldSize: number, newSize: number): Buffer[] {
  if (!(oldSize >= 0 && oldSize <= newSize)) {
    throw new AuditError(
      "AUDIT_BAD_ARGUMENT",
      `no consistency proof from ${oldSize} to ${newSize}`,
    );
  }
  const path: Buffer[] = [];
  if (oldSize === 0 || oldSize === newSize) return path;
  let m = oldSize;
  let lo = 0;
  let hi = newSize;
  let complete = true; // the RFC's b: whether D[lo:lo+m] is an ancestor the verifier already has
  while (m !== hi - lo) {
    const k = splitPoint(hi - lo);
    if (m <= k) {
      path.push(rangeHash(source, lo + k, hi));
      hi = lo + k;
    } else {
      path.push(rangeHash(source, lo, lo + k));
      lo += k;
      m -= k;
      complete = false;
    }
  }
  if (!complete) path.push(rangeHash(source, lo, hi));
  return path.reverse();
}

/** RFC 9162 2.1.3.2: the root an inclusion path leads to; throws AUDIT_BAD_PROOF if malformed. */
export function rootFromInclusionPath(
  index: number,
  size: number,
  leaf: Uint8Array,
  path: readonly Uint8Array[],
): Buffer {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size) && index >= 0 && index < size)) {
    throw new AuditError("AUDIT_BAD_PROOF", `leaf ${index} is not in a tree of size ${size}`);
  }
  let fn = index;
  let sn = size - 1;
  let r: Buffer = Buffer.from(leaf);
  for (const p of path) {
    if (sn === 0) throw new AuditError("AUDIT_BAD_PROOF", "inclusion path is too long");
    if (fn % 2 === 1 || fn === sn) {
      r = hashChildren(p, r);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      r = hashChildren(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new AuditError("AUDIT_BAD_PROOF", "inclusion path is too short");
  return r;
}

/**
 * RFC 9162 2.1.4.2: checks that `newRoot` extends `oldRoot`; throws AUDIT_BAD_PROOF otherwise.
 * (Sizes 0 and equal sizes, which the RFC leaves out, are accepted with an empty path.)
 */
export function verifyConsistencyPath(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  path: readonly Uint8Array[],
): void {
  const fail = (why: string): never => {
    throw new AuditError("AUDIT_BAD_PROOF", `consistency ${oldSize} -> ${newSize}: ${why}`);
  };
  if (!(Number.isSafeInteger(oldSize) && Number.isSafeInteger(newSize))) fail("bad sizes");
  if (oldSize < 0 || oldSize > newSize) fail("the old tree is larger than the new one");
  if (oldSize === 0 || oldSize === newSize) {
    if (path.length !== 0) fail("expected an empty path");
    if (oldSize === newSize && !Buffer.from(oldRoot).equals(newRoot)) fail("roots differ");
    if (oldSize === 0 && !EMPTY_ROOT.equals(oldRoot)) fail("the empty tree has another root");
    return;
  }
  if (path.length === 0) fail("empty path");
  // If the old tree is a complete subtree, the verifier already holds its hash: prepend it.
  const nodes = isPowerOfTwo(oldSize) ? [oldRoot, ...path] : [...path];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr: Buffer = Buffer.from(nodes[0]!);
  let sr: Buffer = Buffer.from(nodes[0]!);
  for (const c of nodes.slice(1)) {
    if (sn === 0) fail("path is too long");
    if (fn % 2 === 1 || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while (fn % 2 === 0 && fn !== 0) {
        fn /= 2;
        sn = Math.floor(sn / 2);
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) fail("path is too short");
  if (!fr.equals(oldRoot)) fail("the path does not lead to the old root");
  if (!sr.equals(newRoot)) fail("the path does not lead to the new root");
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}
