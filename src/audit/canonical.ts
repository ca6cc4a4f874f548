import { AuditError } from "./errors.js";

/**
 * RFC 8785 JSON Canonicalization Scheme (JCS).
 *
 * - Object members are sorted by their names as arrays of UTF-16 code units (3.2.3), which is
 *   exactly what the default `Array.prototype.sort` comparison does.
 * - Numbers use the ECMAScript Number-to-String algorithm (3.2.2.3); -0 serialises as 0;
 *   NaN and the infinities have no JSON form and are rejected.
 * - Strings escape only `"`, `\` and the C0 controls, with the short forms where JSON has one
 *   and lowercase `\u00xx` otherwise (3.2.2.2) — the escaping `JSON.stringify` performs.
 * - Lone surrogates are not I-JSON (RFC 7493) and are rejected.
 *
 * As with `JSON.stringify`: `toJSON` is honoured (so a Date becomes its ISO string), object
 * members whose value is `undefined` are dropped, and `undefined` inside an array becomes `null`.
 * Functions, symbols, bigints and cycles are rejected rather than silently altered.
 */
export function canonicalize(value: unknown): string {
  const text = serialize(value, []);
  if (text === undefined) {
    throw new AuditError("AUDIT_NOT_JSON", "canonicalize: the value has no JSON representation");
  }
  return text;
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
// A plain class scan is much cheaper than the lookaround above; most text has no surrogates.
const ANY_SURROGATE = /[\uD800-\uDFFF]/;
const hasLoneSurrogate = (text: string) => ANY_SURROGATE.test(text) && LONE_SURROGATE.test(text);

function serialize(value: unknown, stack: object[]): string | undefined {
  switch (typeof value) {
    case "string":
      return serializeString(value);
    case "number":
      return serializeNumber(value);
    case "boolean":
      return value ? "true" : "false";
    case "undefined":
      return undefined;
    case "object":
      break;
    default:
      throw new AuditError("AUDIT_NOT_JSON", `canonicalize: a ${typeof value} is not JSON`);
  }
  if (value === null) return "null";
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === "function") return serialize(toJSON.call(value), stack);
  if (stack.includes(value)) {
    throw new AuditError("AUDIT_NOT_JSON", "canonicalize: the value contains a cycle");
  }
  stack.push(value);
  let out: string;
  if (Array.isArray(value)) {
    out = "[";
    for (let i = 0; i < value.length; i++) {
      if (i > 0) out += ",";
      out += serialize(value[i], stack) ?? "null";
    }
    out += "]";
  } else {
    const record = value as Record<string, unknown>;
    out = "{";
    let first = true;
    for (const key of Object.keys(record).sort()) {
      const member = serialize(record[key], stack);
      if (member === undefined) continue;
      if (!first) out += ",";
      first = false;
      out += `${serializeString(key)}:${member}`;
    }
    out += "}";
  }
  stack.pop();
  return out;
}

function serializeString(value: string): string {
  if (hasLoneSurrogate(value)) {
    throw new AuditError("AUDIT_NOT_JSON", "canonicalize: a string contains a lone surrogate");
  }
  return JSON.stringify(value);
}

function serializeNumber(value: number): string {
  if (!Number.isFinite(value)) {
    throw new AuditError("AUDIT_NOT_JSON", `canonicalize: ${value} is not a JSON number`);
  }
  // ECMAScript Number::toString is the JCS number format; it already prints -0 as "0".
  return String(value);
}

/** Replaces lone surrogates with U+FFFD so that text from any source can be canonicalised. */
export function wellFormed(value: string): string {
  return hasLoneSurrogate(value)
    ? value.replace(new RegExp(LONE_SURROGATE.source, "g"), "\uFFFD")
    : value;
}
