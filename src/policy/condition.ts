import { createRequire } from "node:module";
import { posix } from "node:path";
import type { Environment } from "@marcbachmann/cel-js";
import type { Request } from "./types.js";

/**
 * `when:` conditions in CEL, compiled once per rule. Variables: `request` (the whole request),
 * `principal`, `target`, `context` ({} when absent) and `args` (the MCP call's arguments, {} for
 * other kinds). Evaluation never throws: an error, a missing field or a non-bool result comes
 * back as `{ error }`, and the engine fails closed with it.
 */
export interface Condition {
  readonly source: string;
  evaluate(request: Request): boolean | { error: string };
}

/** A compile error with the 0-based offset into the expression, when the library gives one. */
export class ConditionSyntaxError extends Error {
  override readonly name = "ConditionSyntaxError";
  constructor(
    message: string,
    readonly offset: number | null,
  ) {
    super(message);
  }
}

const VARIABLES = ["request", "principal", "target", "context", "args"] as const;

let environment: Environment | undefined;

/**
 * The CEL environment, loaded on the first `when:` compiled: most policies have none, and a hook
 * process should not pay for loading the CEL library (synchronous `require` of an ES module,
 * which Node >= 20.19 supports for modules without top-level await).
 */
function celEnvironment(): Environment {
  if (environment === undefined) {
    const cel = createRequire(import.meta.url)(
      "@marcbachmann/cel-js",
    ) as typeof import("@marcbachmann/cel-js");
    environment = new cel.Environment({
      homogeneousAggregateLiterals: false,
      limits: { maxAstNodes: 10_000, maxDepth: 100 },
    });
    for (const name of VARIABLES) environment.registerVariable(name, "dyn");
    // Paths in tool arguments arrive as the agent wrote them: `project/../secrets` must not pass
    // a prefix check, so conditions compare cleaned paths.
    environment.registerFunction("cleanPath(string): string", cleanPath);
    environment.registerFunction("isWithin(string, string): bool", isWithin);
  }
  return environment;
}

/** Lexically normalised: `.`, `..` and doubled slashes folded; no trailing slash. */
export function cleanPath(path: string): string {
  const clean = posix.normalize(path);
  return clean.length > 1 && clean.endsWith("/") ? clean.slice(0, -1) : clean;
}

/** `path` is `dir` or below it, both cleaned; a relative path is never within an absolute dir. */
export function isWithin(path: string, dir: string): boolean {
  const p = cleanPath(path);
  const d = cleanPath(dir);
  if (p === d) return true;
  if (p.startsWith("..") || p.startsWith("/") !== d.startsWith("/")) return false;
  return p.startsWith(d === "/" ? "/" : `${d}/`);
}

const EMPTY: Readonly<Record<string, unknown>> = Object.freeze({});

function summary(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0]!.trim();
}

function offsetOf(error: unknown): number | null {
  const range = (error as { range?: { start?: unknown } } | null)?.range;
  return typeof range?.start === "number" ? range.start : null;
}

export function compileCondition(source: string): Condition {
  let program: (activation: Record<string, unknown>) => unknown;
  try {
    const parsed = celEnvironment().parse(source);
    const checked = parsed.check();
    if (!checked.valid) {
      throw new ConditionSyntaxError(summary(checked.error), offsetOf(checked.error));
    }
    if (checked.type !== "bool" && checked.type !== "dyn") {
      throw new ConditionSyntaxError(`condition must be a bool, not ${checked.type}`, 0);
    }
    program = parsed;
  } catch (error) {
    if (error instanceof ConditionSyntaxError) throw error;
    throw new ConditionSyntaxError(summary(error), offsetOf(error));
  }
  return {
    source,
    evaluate(request: Request): boolean | { error: string } {
      try {
        const target = request.target as unknown as Record<string, unknown>;
        const result = program({
          request,
          principal: request.principal,
          target,
          context: request.context ?? EMPTY,
          args: request.kind === "mcp.call" ? (request.target.args ?? EMPTY) : EMPTY,
        });
        if (typeof result !== "boolean")
          return { error: `result is ${typeOfValue(result)}, not bool` };
        return result;
      } catch (error) {
        return { error: summary(error) };
      }
    },
  };
}

function typeOfValue(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "a map" : `a ${typeof value}`;
}
