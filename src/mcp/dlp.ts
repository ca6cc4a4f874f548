/**
 * Secret and data-loss checks on `tools/call`.
 *
 * Arguments: each credential they carry — a value Warden holds, or a well-known shape (the audit
 * log's detectors: AWS, GitHub, GitLab, Slack, OpenAI, Anthropic, Google, Stripe, JWTs, PEM
 * private keys, bearer tokens, URL passwords) — is decided as a `cred.use` request named after
 * the secret (held) or the detector (shape), with scope `server/tool`. The strongest of those and
 * the call's own decision wins, so by the `cred.use` default (deny) a credential is not sent to an
 * upstream unless a rule lets it go there (`allow: ["github:gh/*"]`). The findings also reach the
 * `mcp.call` decision and the audit event as `context.detected`.
 *
 * Results: held values and credential shapes are replaced by `[REDACTED:<type>]` before the agent
 * sees them, or the whole result is withheld (`"credentialsInResults": "block"`).
 */
import { redactCredentialShapes, redacted } from "../audit/index.js";
import type { Decision, Request } from "../policy/index.js";
import type { PolicySource } from "./policy-source.js";
import type { SecretSource } from "./secret-refs.js";

/** A detector that fired: `held` names a secret from the store, else a credential shape. */
export type Detected = { detector: "held"; name: string } | { detector: string };

/** Held values shorter than this are not looked for: they would match ordinary text. */
const MIN_HELD_LENGTH = 6;
const RANK = { allow: 0, ask: 1, deny: 2 } as const;

export class CredentialScanner {
  /** [value, name], longest value first so that a secret containing another is found whole. */
  private held: Array<[string, string]> = [];
  /** The store, remembering every value it hands out (resolution re-reads it). */
  readonly source: SecretSource;

  constructor(source: SecretSource | undefined) {
    this.source = {
      values: () => {
        const values = source?.values() ?? new Map<string, string>();
        this.held = [...values]
          .filter(([, value]) => value.length >= MIN_HELD_LENGTH)
          .map(([name, value]): [string, string] => [value, name])
          .sort((a, b) => b[0].length - a[0].length);
        return values;
      },
    };
    this.source.values();
  }

  /** The credentials in a value (keys and strings at any depth), each detector once. */
  scan(value: unknown): Detected[] {
    const found = new Map<string, Detected>();
    const note = (d: Detected) => found.set("name" in d ? `held:${d.name}` : d.detector, d);
    const visit = (v: unknown): void => {
      if (typeof v === "string") this.replace(v, note);
      else if (typeof v === "number") this.replace(String(v), note);
      else if (Array.isArray(v)) for (const item of v) visit(item);
      else if (typeof v === "object" && v !== null) {
        for (const key in v) {
          this.replace(key, note);
          visit((v as Record<string, unknown>)[key]);
        }
      }
    };
    visit(value);
    return [...found.values()];
  }

  /** A copy with every credential replaced, and what was found; the value itself if clean. */
  redact<T>(value: T): { value: T; found: Detected[] } {
    const found = this.scan(value);
    if (found.length === 0) return { value, found };
    return { value: this.walk(value, (text) => this.replace(text)) as T, found };
  }

  private replace(text: string, found?: (d: Detected) => void): string {
    let out = text;
    for (const [secret, name] of this.held) {
      if (out.includes(secret)) {
        found?.({ detector: "held", name });
        out = out.split(secret).join(redacted("secret"));
      }
    }
    return redactCredentialShapes(out, found && ((detector) => found({ detector })));
  }

  private walk(value: unknown, f: (text: string) => string): unknown {
    if (typeof value === "string") return f(value);
    if (typeof value === "number") {
      const text = String(value);
      const out = f(text);
      return out === text ? value : out;
    }
    if (typeof value !== "object" || value === null) return value;
    if (Array.isArray(value)) return value.map((item) => this.walk(item, f));
    const copy: Record<string, unknown> = {};
    for (const [key, member] of Object.entries(value)) copy[f(key)] = this.walk(member, f);
    return copy;
  }
}

/** The request with what the arguments carry in `context.detected` (the same object if nothing). */
export function withDetected<R extends Request>(request: R, detected: Detected[]): R {
  if (detected.length === 0) return request;
  return { ...request, context: { ...(request.context ?? {}), detected } };
}

/**
 * The call's decision, overruled by a stronger `cred.use` decision for a credential in the
 * arguments: the reason then says which credential, and which rule (or the default) kept it.
 */
export function decideCredentials(
  policy: PolicySource,
  request: Request & { kind: "mcp.call" },
  detected: Detected[],
  decision: Decision,
): Decision {
  let strongest = decision;
  const matched = [...decision.matched];
  for (const d of detected) {
    const name = "name" in d ? d.name : d.detector;
    const scope = `${request.target.server}/${request.target.tool}`;
    const cred = policy.decide({
      kind: "cred.use",
      principal: request.principal,
      target: { name, scope },
      ...(request.context === undefined ? {} : { context: request.context }),
    });
    for (const rule of cred.matched) if (!matched.includes(rule)) matched.push(rule);
    if (RANK[cred.effect] > RANK[strongest.effect]) {
      const what = "name" in d ? `Warden's secret ${name}` : `a ${name} credential`;
      const by = cred.rule === null ? "no cred.use rule lets it go there" : cred.reason;
      strongest = {
        ...cred,
        reason: `the arguments carry ${what} (cred.use ${name}:${scope}): ${by}`,
      };
    }
  }
  return strongest === decision ? decision : { ...strongest, matched };
}
