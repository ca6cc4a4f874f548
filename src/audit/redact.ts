import { wellFormed } from "./canonical.js";
import { AuditError } from "./errors.js";

/**
 * Secrets never enter an event: this runs before canonicalisation and hashing, so neither the
 * database nor any checkpoint ever holds them. Three layers, applied to every string (keys too):
 *
 * 1. values registered with the log (`secrets` / `addSecret`), wherever they occur as substrings;
 * 2. everything under a key that names a credential (password, token, api_key, cookie, ...);
 * 3. well-known credential shapes (GitHub, AWS, Slack, OpenAI, Anthropic, Google, Stripe tokens,
 *    JWTs, PEM private keys, bearer tokens, passwords in URLs).
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
const COMBINED_I_HINT = /aws_?secret|bearer|:\/\//i;
/** No credential shape is shorter than this; shorter strings skip the pattern scan. */
const MIN_PATTERN_LENGTH = 10;

function replacePatterns(
  text: string,
  regex: RegExp,
  patterns: ReadonlyArray<readonly [string, string]>,
): string {
  return text.replace(regex, (...args: unknown[]) => {
    const groups = args.at(-1) as Record<string, string | undefined>;
    const index = patterns.findIndex((_, i) => groups[`p${i}`] !== undefined);
    return redacted(patterns[index]?.[0] ?? "secret");
  });
}

export class Redactor {
  private secrets: string[] = [];

  constructor(secrets: Iterable<string> = []) {
    for (const secret of secrets) this.addSecret(secret);
  }

  addSecret(value: string): void {
    if (typeof value !== "string" || value.length === 0 || this.secrets.includes(value)) return;
    // Longest first, so a secret that contains another is replaced whole.
    this.secrets = [...this.secrets, value].sort((a, b) => b.length - a.length);
  }

  /** Redacts one string. */
  string(text: string): string {
    let out = wellFormed(text);
    for (const secret of this.secrets) {
      if (out.includes(secret)) out = out.split(secret).join(redacted("secret"));
    }
    if (out.length < MIN_PATTERN_LENGTH) return out;
    out = replacePatterns(out, COMBINED, PATTERNS);
    return COMBINED_I_HINT.test(out) ? replacePatterns(out, COMBINED_I, PATTERNS_I) : out;
  }

  /**
   * A redacted deep copy of `value` as plain JSON data (toJSON applied, undefined members
   * dropped). Throws AUDIT_INVALID_EVENT for values JSON cannot hold.
   */
  value(value: unknown, path = "event"): unknown {
    return this.copy(value, path, []);
  }

  private copy(value: unknown, path: string, stack: object[]): unknown {
    switch (typeof value) {
      case "string":
        return this.string(value);
      case "number":
        if (!Number.isFinite(value)) invalid(path, `${value} is not a JSON number`);
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
        invalid(path, `a ${typeof value} is not JSON`);
    }
    if (value === null) return null;
    const toJSON = (value as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === "function") return this.copy(toJSON.call(value), path, stack);
    if (stack.includes(value)) invalid(path, "the value contains a cycle");
    stack.push(value);
    let out: unknown;
    if (Array.isArray(value)) {
      out = value.map((item, i) => this.copy(item, `${path}[${i}]`, stack) ?? null);
    } else {
      const copy: Record<string, unknown> = {};
      for (const [key, member] of Object.entries(value)) {
        if (member === undefined) continue;
        const type = sensitiveKeyType(key);
        const safeKey = this.string(key);
        copy[safeKey] =
          type !== undefined && member !== null && typeof member !== "boolean"
            ? redacted(type)
            : this.copy(member, `${path}.${key}`, stack);
      }
      out = copy;
    }
    stack.pop();
    return out;
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
