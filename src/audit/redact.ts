import { wellFormed } from "./canonical.js";
import { AuditError } from "./errors.js";

/**
 * Secrets never enter an event: this runs before canonicalisation and hashing, so neither the
 * database nor any checkpoint ever holds them. Three layers, applied to every string (keys too):
 *
 * 1. values registered with the log (`secrets` / `addSecret`), wherever they occur as substrings;
 * 2. everything under a key that names a credential (password, token, api_key, cookie, ...);
 * 3. well-known credential shapes (GitHub, GitLab, AWS, Slack, OpenAI, Anthropic, Google, Stripe
 *    tokens, JWTs, PEM private keys, bearer tokens, passwords in URLs).
 *
 * Each is replaced by `[REDACTED:<type>]`.
 */

export const redacted = (type: string): string => `[REDACTED:${type}]`;

/** Key names whose values are credentials. `tokens` (plural) is left alone: it counts LLM usage. */
const SENSITIVE_KEY =
  /(passw(?:or)?d|passphrase)|(secret)|(token(?!s))|(api[_-]?key)|(authori[sz]ation)|(private[_-]?key)|(credential)|(cookie)/i;
const SENSITIVE_KEY_TYPES = [
  "password",
  "secret",
  "token",
  "api_key",
  "authorization",
  "private_key",
  "credential",
  "cookie",
];

/** [type, case-sensitive pattern]: one combined regex scans each string once. */
const PATTERNS: ReadonlyArray<readonly [string, string]> = [
  [
    "private_key",
    String.raw`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`,
  ],
  ["jwt", String.raw`\beyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*`],
  ["github", String.raw`\b(?:gh[pousr]_[A-Za-z0-9]{20,255}|github_pat_[A-Za-z0-9_]{20,255})`],
  ["gitlab", String.raw`\bgl(?:pat|dt|rt|ptt)-[A-Za-z0-9_-]{20,}`],
  ["aws_access_key", String.raw`\b(?:AKIA|ASIA)[A-Z0-9]{16}\b`],
  ["slack", String.raw`\bxox[abprs]-[A-Za-z0-9-]{10,}`],
  ["stripe", String.raw`\b[rs]k_live_[A-Za-z0-9]{16,}`],
  ["anthropic", String.raw`\bsk-ant-[A-Za-z0-9_-]{20,}`],
  ["openai", String.raw`\bsk-[A-Za-z0-9_-]{20,}`],
  ["google", String.raw`\bAIza[0-9A-Za-z_-]{35}`],
];
/** Patterns whose context words are case-insensitive; only the credential part is replaced. */
const PATTERNS_I: ReadonlyArray<readonly [string, string]> = [
  [
    "aws_secret",
    String.raw`(?<=aws_?secret\w*["']?\s*[:=]\s*["']?)[A-Za-z0-9/+=]{40}(?![A-Za-z0-9/+=])`,
  ],
  ["bearer", String.raw`(?<=\bbearer\s+)[A-Za-z0-9._~+/-]{8,}=*`],
  ["url_password", String.raw`(?<=\b[a-z][a-z0-9+.-]*:\/\/[^\s/:@]+:)[^\s/@]+(?=@)`],
];

function combine(patterns: ReadonlyArray<readonly [string, string]>, flags: string): RegExp {
  return new RegExp(patterns.map(([, source], i) => `(?<p${i}>${source})`).join("|"), flags);
}
const COMBINED = combine(PATTERNS, "g");
const COMBINED_I = combine(PATTERNS_I, "gi");
// The case-insensitive patterns look behind at every position; run them only where they can match.
// A URL only when it carries a password (user:pass@): most text has URLs, few have passwords.
const COMBINED_I_HINT = /aws_?secret|bearer|:\/\/[^\s/:@]+:[^\s/@]+@/i;
/** No credential shape is shorter than this; shorter strings skip the pattern scan. */
const MIN_PATTERN_LENGTH = 10;

function replacePatterns(
  text: string,
  regex: RegExp,
  patterns: ReadonlyArray<readonly [string, string]>,
  found?: (type: string) => void,
): string {
  return text.replace(regex, (...args: unknown[]) => {
    const groups = args.at(-1) as Record<string, string | undefined>;
    const index = patterns.findIndex((_, i) => groups[`p${i}`] !== undefined);
    const type = patterns[index]?.[0] ?? "secret";
    found?.(type);
    return redacted(type);
  });
}

/**
 * Replaces the well-known credential shapes (layer 3) in one string, telling `found` the type of
 * each: the MCP gateway's data-loss checks use the same detectors as the log.
 */
export function redactCredentialShapes(text: string, found?: (type: string) => void): string {
  if (text.length < MIN_PATTERN_LENGTH || !PATTERN_HINT.test(text)) return text;
  const out = replacePatterns(text, COMBINED, PATTERNS, found);
  return COMBINED_I_HINT.test(out) ? replacePatterns(out, COMBINED_I, PATTERNS_I, found) : out;
}

/**
 * A cheap superset test of every pattern above: each needs one of these literals (the
 * case-insensitive ones behind their hint). Strings without any skip the full scans.
 */
const PATTERN_HINT =
  /-----BEGIN |eyJ|gh[pousr]_|github_pat_|gl(?:pat|dt|rt|ptt)-|A[KS]IA|xox[abprs]-|[rs]k_live_|sk-|AIza|aws_?secret|bearer|:\/\/[^\s/:@]+:[^\s/@]+@/i;

/** A key as it is copied: its redacted text and, if it names a credential, the credential type. */
interface KeyInfo {
  safe: string;
  type: string | undefined;
}
/** Keys repeat from event to event; their redaction is cached up to this many distinct keys. */
const KEY_CACHE_LIMIT = 4_096;
/** Short string values are cached too (up to this many of up to this length). */
const VALUE_CACHE_LIMIT = 4_096;
const VALUE_CACHE_MAX_LENGTH = 80;

const isWellFormed: (text: string) => boolean =
  typeof (String.prototype as { isWellFormed?: unknown }).isWellFormed === "function"
    ? (text) => (text as string & { isWellFormed(): boolean }).isWellFormed()
    : (text) => wellFormed(text) === text;

export class Redactor {
  private secrets: string[] = [];
  private readonly keys = new Map<string, KeyInfo>();
  private readonly values = new Map<string, string>();
  /** During a copy: whether every object so far is in canonical key order (see canonicalValue). */
  private canonicalOrder = true;
  private readonly path: Array<string | number> = [];

  constructor(secrets: Iterable<string> = []) {
    for (const secret of secrets) this.addSecret(secret);
  }

  addSecret(value: string): void {
    if (typeof value !== "string" || value.length === 0 || this.secrets.includes(value)) return;
    // Longest first, so a secret that contains another is replaced whole.
    this.secrets = [...this.secrets, value].sort((a, b) => b.length - a.length);
    this.keys.clear();
    this.values.clear();
  }

  /** Redacts one string. */
  string(text: string): string {
    let out = isWellFormed(text) ? text : wellFormed(text);
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(redacted("secret"));
    }
    return redactCredentialShapes(out);
  }

  /**
   * A redacted deep copy of `value` as plain JSON data (toJSON applied, undefined members
   * dropped). Throws AUDIT_INVALID_EVENT for values JSON cannot hold.
   */
  value(value: unknown, path = "event"): unknown {
    return this.canonicalValue(value, path)[0];
  }

  /**
   * `value`, and whether every object of the copy has its members in RFC 8785 order (UTF-16
   * order of the redacted keys, no array-index keys, which JavaScript always enumerates first):
   * then `JSON.stringify` of the copy is its canonical JSON.
   */
  canonicalValue(value: unknown, path = "event"): [unknown, boolean] {
    this.canonicalOrder = true;
    this.path.length = 0;
    this.path.push(path);
    try {
      return [this.copy(value, []), this.canonicalOrder];
    } finally {
      this.path.length = 0;
    }
  }

  private copy(value: unknown, stack: object[]): unknown {
    switch (typeof value) {
      case "string":
        return value.length > VALUE_CACHE_MAX_LENGTH ? this.string(value) : this.shortString(value);
      case "number":
        if (!Number.isFinite(value)) this.invalid(`${value} is not a JSON number`);
        return this.secrets.length > 0 && this.string(String(value)) !== String(value)
          ? redacted("secret")
          : value;
      case "boolean":
        return value;
      case "undefined":
        return undefined;
      case "object":
        break;
      default:
        this.invalid(`a ${typeof value} is not JSON`);
    }
    if (value === null) return null;
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") return this.copy(toJSON.call(value), stack);
    if (stack.includes(value)) this.invalid("the value contains a cycle");
    stack.push(value);
    const path = this.path;
    let out: unknown;
    if (Array.isArray(value)) {
      const copy: unknown[] = new Array(value.length);
      for (let i = 0; i < value.length; i++) {
        path.push(i);
        copy[i] = this.copy(value[i], stack) ?? null;
        path.pop();
      }
      out = copy;
    } else {
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record);
      const infos: KeyInfo[] = new Array(keys.length);
      let inOrder = true;
      for (let i = 0; i < keys.length; i++) {
        const info = this.keyInfo(keys[i]!);
        infos[i] = info;
        if (i > 0 && !(infos[i - 1]!.safe < info.safe)) inOrder = false;
        const first = info.safe.charCodeAt(0);
        if (first >= 0x30 && first <= 0x39) this.canonicalOrder = false; // maybe an array index
      }
      // Members in canonical order of their redacted keys; on equal keys the later one wins,
      // as it would by plain assignment in source order.
      let order: number[] | undefined;
      if (!inOrder) {
        order = keys.map((_, i) => i);
        order.sort((a, b) => {
          const x = infos[a]!.safe;
          const y = infos[b]!.safe;
          return x < y ? -1 : x > y ? 1 : a - b;
        });
      }
      const copy: Record<string, unknown> = {};
      for (let n = 0; n < keys.length; n++) {
        const i = order ? order[n]! : n;
        const key = keys[i]!;
        const member = record[key];
        if (member === undefined) continue;
        const { safe, type } = infos[i]!;
        if (type !== undefined && member !== null && typeof member !== "boolean") {
          copy[safe] = redacted(type);
        } else {
          path.push(key);
          copy[safe] = this.copy(member, stack);
          path.pop();
        }
      }
      out = copy;
    }
    stack.pop();
    return out;
  }

  /** string(), remembered: names, rules, versions and digests recur from event to event. */
  private shortString(text: string): string {
    let out = this.values.get(text);
    if (out === undefined) {
      out = this.string(text);
      if (this.values.size >= VALUE_CACHE_LIMIT) this.values.clear();
      this.values.set(text, out);
    }
    return out;
  }

  private keyInfo(key: string): KeyInfo {
    let info = this.keys.get(key);
    if (info === undefined) {
      info = { safe: this.string(key), type: sensitiveKeyType(key) };
      if (this.keys.size >= KEY_CACHE_LIMIT) this.keys.clear();
      this.keys.set(key, info);
    }
    return info;
  }

  private invalid(why: string): never {
    let text = "";
    for (const part of this.path) text += typeof part === "number" ? `[${part}]` : `.${part}`;
    invalid(text.slice(1), why);
  }
}

function sensitiveKeyType(key: string): string | undefined {
  const match = SENSITIVE_KEY.exec(key);
  if (!match) return undefined;
  const group = match.slice(1).findIndex((g) => g !== undefined);
  return SENSITIVE_KEY_TYPES[group] ?? "secret";
}

function invalid(path: string, why: string): never {
  throw new AuditError("AUDIT_INVALID_EVENT", `${path}: ${why}`);
}
