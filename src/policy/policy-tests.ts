/**
 * Policy test files (`warden policy test POLICY TESTS.yaml`): expectations a policy must meet,
 * checked in CI next to the policy itself.
 *
 * ```yaml
 * tests:
 *   - name: git status is fine        # required, shown in reports
 *     exec: git status                # exactly one request shorthand:
 *                                     #   exec | read | write | connect (host:port, [v6]:port)
 *                                     #   | mcp (server/tool, with optional args: {...})
 *                                     #   | cred (name:scope) | request (a full Request mapping)
 *     agent: claude-code              # optional principal and context: agent (default "cli"),
 *     user: alice                     #   user, groups: [..], session, workspace, cwd
 *     expect: allow                   # required: allow | ask | deny
 *     rule: everyday-git              # optional: the rule that must decide
 * ```
 */
import { isMap, isScalar, type Node } from "yaml";
import { WardenError } from "../errors.js";
import type { CompiledPolicy } from "./compile.js";
import { PolicyError } from "./diagnostics.js";
import { type RequestFlags, requestFromFlags, type STRING_REQUEST_FLAGS } from "./request.js";
import { type Decision, EFFECTS, type Effect } from "./types.js";
import { YamlSource } from "./yaml-source.js";

export interface PolicyTestCase {
  name: string;
  line: number;
  expect: Effect;
  rule?: string;
  passed: boolean;
  decision: Decision | null;
  message?: string;
}

export interface PolicyTestReport {
  cases: PolicyTestCase[];
  passed: number;
  failed: number;
}

const CASE_KEYS = [
  "name",
  "expect",
  "rule",
  "exec",
  "read",
  "write",
  "connect",
  "mcp",
  "args",
  "cred",
  "request",
  "agent",
  "user",
  "groups",
  "session",
  "workspace",
  "cwd",
] as const;

interface ParsedCase {
  name: string;
  line: number;
  expect: Effect;
  rule?: string;
  flags: RequestFlags;
  node: Node;
}

function readCases(src: YamlSource): ParsedCase[] {
  if (src.root === null) {
    if (!src.hasErrors)
      src.reportAt(0, "POLICY_TEST_EMPTY", "test file is empty", "start with `tests:`");
    return [];
  }
  const top = src.map(src.root, "the test file");
  if (top === null) return [];
  const cases: ParsedCase[] = [];
  const pair = src.entries(top, ["tests"], "the test file")[0];
  if (pair === undefined) {
    src.report(top, "POLICY_MISSING_KEY", "the test file has no `tests:` list");
    return [];
  }
  const seq = src.seq(pair.value, "tests");
  if (seq === null) return [];
  for (const item of seq.items) {
    const map = src.map(item, "a test case");
    if (map === null) continue;
    const line = src.position(map.range?.[0] ?? 0).line;
    const flags: RequestFlags = {};
    let name: string | null = null;
    let expect: Effect | null = null;
    let rule: string | undefined;
    let ok = true;
    for (const entry of src.entries(map, CASE_KEYS, "test case")) {
      const key = String(entry.key.value);
      const value = entry.value;
      if (key === "name") name = src.string(value, "test name");
      else if (key === "expect") {
        const text = isScalar(value) ? String(value.value) : null;
        if (text !== null && (EFFECTS as readonly string[]).includes(text)) expect = text as Effect;
        else {
          src.report(value, "POLICY_UNKNOWN_EFFECT", "expect must be allow, ask or deny");
          ok = false;
        }
      } else if (key === "rule") rule = src.string(value, "rule") ?? undefined;
      else if (key === "groups") {
        const seqNode = src.seq(value, "groups");
        flags.group = seqNode?.items.map((g) => (isScalar(g) ? String(g.value) : "")) ?? [];
      } else if (key === "args" || key === "request") {
        if (isMap(value)) flags[key] = value.toJSON() as Record<string, unknown>;
        else if (isScalar(value) && typeof value.value === "string") flags[key] = value.value;
        else {
          src.report(value, "POLICY_TYPE", `${key} must be a mapping or a JSON string`);
          ok = false;
        }
      } else {
        const text = isScalar(value) && value.value !== null ? String(value.value) : null;
        if (text === null) {
          src.report(value, "POLICY_TYPE", `${key} must be a string`);
          ok = false;
        } else flags[key as (typeof STRING_REQUEST_FLAGS)[number]] = text;
      }
    }
    if (name === null) {
      src.report(map, "POLICY_MISSING_KEY", "test case has no `name`");
      ok = false;
    }
    if (expect === null && !map.items.some((p) => isScalar(p.key) && p.key.value === "expect")) {
      src.report(
        map,
        "POLICY_MISSING_KEY",
        `test case ${JSON.stringify(name ?? "")} has no \`expect\``,
        "add `expect: allow`, `ask` or `deny`",
      );
      ok = false;
    }
    try {
      requestFromFlags(flags);
    } catch (error) {
      if (!(error instanceof WardenError)) throw error;
      src.report(
        map,
        "POLICY_TEST_REQUEST",
        `test case ${JSON.stringify(name ?? "")}: ${error.message}`,
        error.hint,
      );
      ok = false;
    }
    if (ok && name !== null && expect !== null) {
      const c: ParsedCase = { name, line, expect, flags, node: map };
      if (rule !== undefined) c.rule = rule;
      cases.push(c);
    }
  }
  return cases;
}

function describeDecision(d: Decision): string {
  return `${d.effect} ${d.rule === null ? "by default" : `by rule ${d.rule}`}: ${d.reason}`;
}

/** Runs a test file against a policy; a malformed test file throws PolicyError. */
export function runPolicyTests(
  policy: CompiledPolicy,
  testsText: string,
  options?: { file?: string },
): PolicyTestReport {
  const src = new YamlSource(testsText, options?.file ?? "tests.yaml");
  const parsed = readCases(src);
  if (src.hasErrors) throw new PolicyError(src.diagnostics);
  const cases: PolicyTestCase[] = parsed.map((c) => {
    const decision = policy.decide(requestFromFlags(c.flags));
    const passed =
      decision.effect === c.expect && (c.rule === undefined || decision.rule === c.rule);
    const result: PolicyTestCase = {
      name: c.name,
      line: c.line,
      expect: c.expect,
      passed,
      decision,
    };
    if (c.rule !== undefined) result.rule = c.rule;
    if (!passed) {
      const wanted = c.rule === undefined ? c.expect : `${c.expect} (rule ${c.rule})`;
      result.message = `line ${c.line}: ${JSON.stringify(c.name)} expected ${wanted}, got ${describeDecision(decision)}`;
    }
    return result;
  });
  const passed = cases.filter((c) => c.passed).length;
  return { cases, passed, failed: cases.length - passed };
}
