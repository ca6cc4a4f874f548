/**
 * `${secret:NAME}` in an upstream's `env` values or `headers`: the value of Warden's secret NAME,
 * put in only when the upstream is started or connected. Parsed specs keep the reference text, so
 * whatever logs or audits a spec never holds the value.
 *
 * The form cannot clash with Claude Code's `${VAR}` / `${VAR:-default}` expansion, which needs `}`
 * or `:-` right after the variable name; Claude Code leaves `${secret:NAME}` as it is.
 */
import { checkSecretName } from "../creds/index.js";
import { WardenError } from "../errors.js";
import type { UpstreamSpec } from "./config.js";

const REF = /\$\{secret:([^}]*)\}/g;

/** Where Warden's secrets come from (the CLI passes the encrypted store). */
export interface SecretSource {
  /** Every secret's value by name, read afresh (a rotated token reaches a restarted upstream). */
  values(): ReadonlyMap<string, string>;
}

/** The secret names a text refers to; throws on a malformed reference. */
export function secretRefs(text: string): string[] {
  const names: string[] = [];
  for (const match of text.matchAll(REF)) {
    const name = match[1]!;
    try {
      checkSecretName(name);
    } catch (error) {
      throw new WardenError(
        "MCP_CONFIG_INVALID",
        `a \${secret:…} reference does not name a secret: ${(error as Error).message}`,
      );
    }
    names.push(name);
  }
  return names;
}

/** True if the text holds a secret reference; used to refuse them where they do not belong. */
export function hasSecretRef(text: string): boolean {
  return text.includes("${secret:");
}

/**
 * The spec as it is started: env values and headers with their references replaced. A secret the
 * store does not hold stops the upstream with an error naming the secret.
 */
export function resolveSecretRefs(spec: UpstreamSpec, source: SecretSource | undefined) {
  const record = spec.transport === "stdio" ? spec.env : spec.headers;
  if (!Object.values(record).some(hasSecretRef)) return spec;
  const values = source?.values() ?? new Map<string, string>();
  const resolved: Record<string, string> = {};
  for (const [key, text] of Object.entries(record)) {
    resolved[key] = text.replace(REF, (_, name: string) => {
      const value = values.get(name);
      if (value === undefined) {
        throw new WardenError(
          "MCP_SECRET_MISSING",
          `secret "${name}" (in ${spec.transport === "stdio" ? "env" : "headers"} ${key}) is not in Warden's secret store`,
          { hint: `warden secrets set ${name}` },
        );
      }
      return value;
    });
  }
  return spec.transport === "stdio" ? { ...spec, env: resolved } : { ...spec, headers: resolved };
}
