/**
 * Gemini CLI policy-engine TOML (`~/.gemini/policies/*.toml`, `[[rule]]` tables) → a Warden policy.
 *
 * Built against Gemini CLI 0.61.0 (npm `@google/gemini-cli@0.61.0`, the version this repository
 * installs: its bundled docs/reference/policy-engine.md and the PolicyRuleSchema in its bundle)
 * and github.com/google-gemini/gemini-cli at 5411f113cafae26161b4969b0237b8e1e024e2c2
 * (packages/core/src/policy/toml-loader.ts, utils.ts `buildArgsPatterns`, policy-engine.ts
 * `ruleMatches`, tools/tool-names.ts, tools/mcp-tool.ts `formatMcpToolName`).
 *
 * Gemini CLI semantics, and how they land in Warden:
 *   - the matching rule with the highest `priority` decides (ties: the earlier rule); Warden
 *     combines deny > ask > allow whatever the order. Where a higher-priority rule is weaker than
 *     a lower-priority one that matches some of the same calls, the report says so.
 *   - decision allow | ask_user | deny → allow | ask | deny.
 *   - run_shell_command + commandPrefix "git log" matches the command `git log` followed by a
 *     space or the end → exec `git log *`; commandRegex / argsPattern are regular expressions over
 *     the tool's JSON arguments: simple ones (literal words, `(a|b)` alternatives, a trailing
 *     `.*`) become exec patterns, the rest go to the report.
 *   - read_file, read_many_files, glob, grep_search, list_directory → fs.read; write_file,
 *     replace → fs.write; web_fetch → net.connect *:443 / *:80; mcpName + toolName and
 *     `mcp_server_tool` names → mcp.call `server/tool`.
 *   - modes, interactive, subagent, toolAnnotations have no Warden equivalent: the import is the
 *     policy of Gemini CLI's default (interactive) mode; rules for other modes are reported.
 */
import picomatch from "picomatch";
import { parse as parseToml, TomlError } from "smol-toml";
import type { Effect, Kind } from "../types.js";
import {
  type DraftPolicy,
  type DraftRule,
  type ImportNote,
  type ImportOptions,
  type ImportResult,
  ImportSyntaxError,
  oneLine,
  STRENGTH,
  slug,
  writePolicy,
} from "./common.js";
import { prefixPattern } from "./exec-patterns.js";

const DECISIONS: Record<string, Effect> = { allow: "allow", ask_user: "ask", deny: "deny" };
const MODES = ["default", "autoEdit", "plan", "yolo"];
const RULE_KEYS = new Set([
  "toolName",
  "subagent",
  "mcpName",
  "argsPattern",
  "commandPrefix",
  "commandRegex",
  "decision",
  "priority",
  "modes",
  "interactive",
  "toolAnnotations",
  "allowRedirection",
  "allow_redirection",
  "denyMessage",
  "deny_message",
]);

const SHELL = "run_shell_command";
const READ_TOOLS = new Set([
  "read_file",
  "read_many_files",
  "glob",
  "grep_search",
  "list_directory",
]);
const WRITE_TOOLS = new Set(["write_file", "replace"]);
const OTHER_TOOLS: Record<string, string> = {
  google_web_search: "web search runs on Google's side; no connection from this machine to decide",
  write_todos: "the todo list has no Warden kind",
  save_memory: "Gemini's memory file has no Warden kind",
  activate_skill: "skills have no Warden kind; what a skill runs is decided as usual",
  ask_user: "asking the user has no Warden kind",
  enter_plan_mode: "plan mode has no Warden equivalent",
  exit_plan_mode: "plan mode has no Warden equivalent",
  invoke_agent: "subagents have no Warden kind; their own tool calls are decided as usual",
  get_internal_docs: "Gemini's own documentation tool has no Warden kind",
  complete_task: "task bookkeeping has no Warden kind",
  update_topic: "topic bookkeeping has no Warden kind",
  read_mcp_resource: "MCP resources are not tool calls; Warden decides mcp.call only",
  list_mcp_resources: "MCP resources are not tool calls; Warden decides mcp.call only",
};

interface SourceRule {
  index: number;
  line: number | undefined;
  toolNames: string[];
  mcpName: string | undefined;
  effect: Effect;
  priority: number;
  raw: Record<string, unknown>;
  label: string;
}

interface Mapping {
  kind: Kind;
  patterns: string[];
  approximations: string[];
}

/** A Warden rule drafted from a Gemini rule, with what the priority check needs. */
interface Placed {
  draft: DraftRule;
  source: SourceRule;
}

export function importGemini(text: string, options: ImportOptions = {}): ImportResult {
  const file = options.file ?? "policy.toml";
  let doc: Record<string, unknown>;
  try {
    doc = parseToml(text) as Record<string, unknown>;
  } catch (error) {
    if (error instanceof TomlError) {
      const first = error.message.split("\n")[0] ?? error.message;
      throw new ImportSyntaxError(
        file,
        error.line,
        error.column,
        `TOML: ${first.replace(/^Invalid TOML document: /, "")}`,
      );
    }
    throw error;
  }
  const ruleLines = headerLines(text, "rule");
  const report: ImportNote[] = [];

  for (const key of Object.keys(doc)) {
    if (key === "rule") continue;
    if (key === "safety_checker") {
      const lines = headerLines(text, "safety_checker");
      const checkers = Array.isArray(doc[key]) ? (doc[key] as unknown[]) : [doc[key]];
      checkers.forEach((_, k) => {
        report.push({
          level: "unmapped",
          line: lines[k],
          source: "[[safety_checker]]",
          message: "safety checkers run Gemini CLI's own code on a call; Warden has no equivalent",
        });
      });
      continue;
    }
    throw new ImportSyntaxError(
      file,
      lineOfKey(text, key),
      1,
      `unknown top-level key \`${key}\` (expected [[rule]] or [[safety_checker]])`,
    );
  }

  const rawRules = doc.rule ?? [];
  if (!Array.isArray(rawRules)) {
    throw new ImportSyntaxError(
      file,
      lineOfKey(text, "rule"),
      1,
      "`rule` must be an array of tables: write [[rule]]",
    );
  }
  const sources = rawRules.map((r, k) => validate(r, k, ruleLines[k], file));

  const placed: Placed[] = [];
  for (const s of sources) {
    const where = s.line === undefined ? `${file} rule #${s.index + 1}` : `${file}:${s.line}`;
    const note = (level: ImportNote["level"], message: string) =>
      report.push({ level, line: s.line, source: s.label, message });

    const modes = s.raw.modes as string[] | undefined;
    if (modes !== undefined && modes.length > 0 && !modes.includes("default")) {
      note(
        "unmapped",
        `applies only in Gemini CLI's ${modes.join(", ")} mode${modes.length > 1 ? "s" : ""}; the import is the policy of its default mode`,
      );
      continue;
    }
    if (s.raw.interactive === false) {
      note(
        "unmapped",
        "applies only when Gemini CLI runs headless (interactive = false); the import is the interactive policy",
      );
      continue;
    }
    if (s.raw.subagent !== undefined) {
      note(
        "unmapped",
        `applies only to calls made by the subagent \`${String(s.raw.subagent)}\`; Warden does not tell subagents apart`,
      );
      continue;
    }
    if (s.raw.toolAnnotations !== undefined) {
      note("unmapped", "matches on the tool's annotations, which Warden does not see");
      continue;
    }
    const common: string[] = [];
    if (modes !== undefined && modes.length > 0 && modes.length < MODES.length) {
      common.push(`Gemini applies it only in ${modes.join(", ")} mode; Warden has no modes`);
    }
    if (s.raw.interactive === true) {
      common.push("Gemini applies it only in interactive sessions; Warden applies it always");
    }
    if (s.raw.allowRedirection === true || s.raw.allow_redirection === true) {
      note(
        "info",
        "allowRedirection: Warden decides the files a redirection reads or writes by the fs rules",
      );
    }

    const mappings: Mapping[] = [];
    for (const tool of s.toolNames.length > 0 ? s.toolNames : ["*"]) {
      const m = mapTool(tool, s);
      if ("unmapped" in m) {
        note(
          m.info === true ? "info" : "unmapped",
          s.toolNames.length > 1 ? `${tool}: ${m.unmapped}` : m.unmapped,
        );
        continue;
      }
      mappings.push(...m.mappings);
    }
    // One Warden rule per kind, so that a list of tools stays one readable rule.
    const byKind = new Map<Kind, Mapping>();
    for (const m of mappings) {
      const existing = byKind.get(m.kind);
      if (existing === undefined)
        byKind.set(m.kind, {
          ...m,
          patterns: [...m.patterns],
          approximations: [...m.approximations],
        });
      else {
        for (const p of m.patterns) if (!existing.patterns.includes(p)) existing.patterns.push(p);
        for (const a of m.approximations)
          if (!existing.approximations.includes(a)) existing.approximations.push(a);
      }
    }
    for (const m of byKind.values()) {
      const approximations = [...common, ...m.approximations];
      for (const a of approximations) note("approximated", a);
      const draft: DraftRule = {
        id: `${s.effect}-${slug(ruleName(s, m.kind))}`,
        kind: m.kind,
        effect: s.effect,
        patterns: m.patterns,
        comment: [
          `${where} ${s.label} (priority ${s.priority})`,
          ...approximations.map((a) => `~ ${a}`),
        ],
      };
      const message = s.raw.denyMessage ?? s.raw.deny_message;
      if (typeof message === "string" && message.trim() !== "") draft.reason = message;
      placed.push({ draft, source: s });
    }
  }

  checkPriorities(placed, report);

  const draft: DraftPolicy = {
    name: options.name ?? "imported-gemini",
    description: `Imported from Gemini CLI policy ${file}`,
    header: [
      `Imported from Gemini CLI policy ${file} by \`warden policy import gemini\` (built against Gemini CLI 0.61.0).`,
      "Each rule below names the [[rule]] it came from. Gemini CLI lets the highest-priority matching",
      "rule decide; Warden combines deny > ask > allow whatever the order, and has no priorities.",
      "The import report lists every place where that gives a different answer.",
      "Lines starting with ~ say where Warden will not decide exactly as Gemini CLI does.",
    ],
    defaults: [
      { key: "exec", effect: "ask", comment: "Gemini CLI asks before running a shell command" },
      { key: "fs.read", effect: "allow", comment: "Gemini CLI's default policy allows read tools" },
      { key: "fs.write", effect: "ask", comment: "write tools ask" },
      {
        key: "net.connect",
        effect: "deny",
        comment: "Gemini CLI asks for web_fetch; Warden closes the network",
      },
      { key: "mcp.call", effect: "ask", comment: "MCP tools ask" },
    ],
    rules: placed.map((p) => p.draft),
  };
  return { policy: writePolicy(draft), report };
}

function ruleName(s: SourceRule, kind: Kind): string {
  const prefix = s.raw.commandPrefix;
  if (kind === "exec" && prefix !== undefined) {
    return `shell ${Array.isArray(prefix) ? prefix.join(" ") : String(prefix)}`;
  }
  if (s.mcpName !== undefined) return `mcp ${s.mcpName} ${s.toolNames.join(" ")}`;
  return s.toolNames.join(" ") || kind;
}

/** Lines of `[[name]]` headers, in order (the Nth header is the Nth table of the array). */
function headerLines(text: string, name: string): number[] {
  const re = new RegExp(`^\\s*\\[\\[\\s*${name}\\s*\\]\\]`);
  const out: number[] = [];
  text.split("\n").forEach((l, k) => {
    if (re.test(l)) out.push(k + 1);
  });
  return out;
}

function lineOfKey(text: string, key: string): number | undefined {
  const k = text.split("\n").findIndex((l) => new RegExp(`^\\s*\\[*\\s*${key}\\b`).test(l));
  return k < 0 ? undefined : k + 1;
}

function validate(raw: unknown, index: number, line: number | undefined, file: string): SourceRule {
  const fail = (message: string): never => {
    throw new ImportSyntaxError(file, line, undefined, `rule #${index + 1}: ${message}`);
  };
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail("a rule must be a table");
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    if (!RULE_KEYS.has(key)) fail(`unknown field \`${key}\``);
  }
  const stringList = (key: string): string[] | undefined => {
    const v = r[key];
    if (v === undefined) return undefined;
    if (typeof v === "string") return [v];
    if (Array.isArray(v) && v.every((x) => typeof x === "string")) return v as string[];
    return fail(`\`${key}\` must be a string or an array of strings`);
  };
  const toolNames = stringList("toolName");
  const mcpName = r.mcpName;
  if (mcpName !== undefined && typeof mcpName !== "string") fail("`mcpName` must be a string");
  if (toolNames === undefined && mcpName === undefined) fail("`toolName` is required");
  if (toolNames?.some((t) => t === ""))
    fail('`toolName` cannot be an empty string; use "*" to match all tools');
  const decision = r.decision;
  if (typeof decision !== "string" || DECISIONS[decision] === undefined) {
    fail('`decision` must be "allow", "deny" or "ask_user"');
  }
  const priority = r.priority;
  if (typeof priority !== "number" && typeof priority !== "bigint")
    fail("`priority` is required and must be an integer");
  const p = Number(priority);
  if (!Number.isInteger(p) || p < 0 || p > 999) fail("`priority` must be an integer from 0 to 999");
  for (const key of ["argsPattern", "commandRegex", "subagent", "denyMessage", "deny_message"]) {
    if (r[key] !== undefined && typeof r[key] !== "string") fail(`\`${key}\` must be a string`);
  }
  stringList("commandPrefix");
  if (r.modes !== undefined) {
    const modes = stringList("modes") ?? [];
    for (const m of modes)
      if (!MODES.includes(m)) fail(`unknown mode \`${m}\` (expected ${MODES.join(", ")})`);
  }
  for (const key of ["interactive", "allowRedirection", "allow_redirection"]) {
    if (r[key] !== undefined && typeof r[key] !== "boolean")
      fail(`\`${key}\` must be true or false`);
  }
  if (r.commandPrefix !== undefined || r.commandRegex !== undefined) {
    if (toolNames?.length !== 1 || toolNames[0] !== SHELL || Array.isArray(r.toolName)) {
      fail('commandPrefix and commandRegex can only be used with toolName = "run_shell_command"');
    }
    if (r.argsPattern !== undefined)
      fail("cannot use both commandPrefix/commandRegex and argsPattern");
    if (r.commandPrefix !== undefined && r.commandRegex !== undefined) {
      fail("cannot use both commandPrefix and commandRegex");
    }
  }
  for (const key of ["argsPattern", "commandRegex"]) {
    if (typeof r[key] === "string") {
      try {
        new RegExp(r[key] as string);
      } catch (error) {
        fail(`\`${key}\` is not a valid regular expression: ${(error as Error).message}`);
      }
    }
  }
  const parts = [
    r.mcpName === undefined ? "" : `mcpName=${JSON.stringify(r.mcpName)}`,
    r.toolName === undefined ? "" : `toolName=${JSON.stringify(r.toolName)}`,
    r.commandPrefix === undefined ? "" : `commandPrefix=${JSON.stringify(r.commandPrefix)}`,
    r.commandRegex === undefined ? "" : `commandRegex=${JSON.stringify(r.commandRegex)}`,
    r.argsPattern === undefined ? "" : `argsPattern=${JSON.stringify(r.argsPattern)}`,
    `decision=${JSON.stringify(decision)}`,
  ].filter((x) => x !== "");
  return {
    index,
    line,
    toolNames: toolNames ?? [],
    mcpName: mcpName as string | undefined,
    effect: DECISIONS[decision as string]!,
    priority: p,
    raw: r,
    label: oneLine(parts.join(" "), 160),
  };
}

type ToolResult = { mappings: Mapping[] } | { unmapped: string; info?: boolean };

function mapTool(tool: string, s: SourceRule): ToolResult {
  const r = s.raw;
  const argsPattern = r.argsPattern as string | undefined;
  if (s.mcpName !== undefined || tool.startsWith("mcp_") || tool.includes("__")) {
    if (argsPattern !== undefined) {
      return {
        unmapped:
          "argsPattern on an MCP tool: Warden matches MCP arguments with `when:` conditions; write one by hand",
      };
    }
    return mcpMapping(tool, s.mcpName);
  }
  if (tool === "*") {
    if (argsPattern !== undefined)
      return { unmapped: "argsPattern on every tool cannot be imported" };
    const approx =
      'toolName "*" matches every tool: imported as a rule for every kind Warden decides';
    return {
      mappings: [
        { kind: "exec", patterns: ["*"], approximations: [approx] },
        { kind: "fs.read", patterns: ["/**"], approximations: [approx] },
        { kind: "fs.write", patterns: ["/**"], approximations: [approx] },
        { kind: "net.connect", patterns: ["*:443", "*:80"], approximations: [approx] },
        { kind: "mcp.call", patterns: ["*/*"], approximations: [approx] },
      ],
    };
  }
  if (tool === SHELL) return shellMapping(r);
  if (READ_TOOLS.has(tool) || WRITE_TOOLS.has(tool)) {
    const kind = READ_TOOLS.has(tool) ? "fs.read" : "fs.write";
    const tools = s.toolNames.filter(
      (t) => (READ_TOOLS.has(t) ? "fs.read" : WRITE_TOOLS.has(t) ? "fs.write" : "") === kind,
    );
    const whole = `Warden decides which files are ${kind === "fs.read" ? "read" : "written"}, not which tool does it: this covers every way of ${kind === "fs.read" ? "reading" : "writing"} them (shell commands included), not only ${tools.join(" and ")}`;
    if (argsPattern === undefined) {
      return { mappings: [{ kind, patterns: ["/**"], approximations: [whole] }] };
    }
    const words = literalAlternatives(argsPattern);
    if (words === null) {
      return {
        unmapped: `argsPattern \`${argsPattern}\` is a regular expression over the tool's JSON arguments that cannot be a path glob`,
      };
    }
    return {
      mappings: [
        {
          kind,
          patterns: words.map((w) => `**/*${globEscape(w)}*`),
          approximations: [
            `argsPattern \`${argsPattern}\` is a regular expression over all of the tool's arguments; imported as paths containing ${words.map((w) => `\`${w}\``).join(" or ")}`,
            whole,
          ],
        },
      ],
    };
  }
  if (tool === "web_fetch") {
    if (argsPattern !== undefined) {
      return {
        unmapped:
          "argsPattern on web_fetch (a regular expression over the prompt and URLs) cannot be a host pattern",
      };
    }
    return {
      mappings: [
        {
          kind: "net.connect",
          patterns: ["*:443", "*:80"],
          approximations: [
            "web_fetch fetches over HTTP(S): imported as every host on ports 443 and 80, which also decides other programs' connections",
          ],
        },
      ],
    };
  }
  const other = OTHER_TOOLS[tool];
  if (other !== undefined) return { unmapped: other, info: s.effect === "allow" };
  return {
    unmapped: `\`${tool}\` is not a tool Warden knows (a subagent or an extension's tool?); no Warden kind for it`,
  };
}

function mcpMapping(tool: string, mcpName: string | undefined): ToolResult {
  const ok = (server: string, name: string, approximations: string[] = []): ToolResult => ({
    mappings: [{ kind: "mcp.call", patterns: [`${server}/${name}`], approximations }],
  });
  if (mcpName !== undefined && !tool.startsWith("mcp_"))
    return ok(mcpName, tool === "" ? "*" : tool);
  if (tool.startsWith("mcp_")) {
    const rest = tool.slice(4);
    if (rest === "*") return ok(mcpName ?? "*", "*");
    const m = /^([^_]+)_(.+)$/.exec(rest);
    if (m === null)
      return { unmapped: `\`${tool}\` is not an MCP name of the form mcp_<server>_<tool>` };
    return ok(mcpName ?? m[1]!, m[2]!);
  }
  const k = tool.indexOf("__");
  return ok(tool.slice(0, k), tool.slice(k + 2) || "*", [
    "the `server__tool` form is deprecated in Gemini CLI (it warns); read as server/tool",
  ]);
}

function shellMapping(r: Record<string, unknown>): ToolResult {
  const prefixes = r.commandPrefix;
  if (prefixes !== undefined) {
    const list = Array.isArray(prefixes) ? (prefixes as string[]) : [prefixes as string];
    const patterns: string[] = [];
    const problems: string[] = [];
    for (const prefix of list) {
      const c = prefixPattern(prefix.trim());
      if ("unmapped" in c) problems.push(`commandPrefix ${JSON.stringify(prefix)}: ${c.unmapped}`);
      else patterns.push(c.pattern);
    }
    if (patterns.length === 0) return { unmapped: problems.join("; ") };
    return {
      mappings: [
        { kind: "exec", patterns, approximations: problems.map((p) => `not imported: ${p}`) },
      ],
    };
  }
  const regex =
    (r.commandRegex as string | undefined) ??
    commandOfArgsPattern(r.argsPattern as string | undefined);
  if (regex === undefined) {
    if (r.argsPattern !== undefined) {
      return {
        unmapped: `argsPattern \`${String(r.argsPattern)}\` is not a \`"command":"…\` prefix; it cannot be an exec pattern`,
      };
    }
    return { mappings: [{ kind: "exec", patterns: ["*"], approximations: [] }] };
  }
  const converted = regexPrefixes(regex);
  if ("unmapped" in converted) return converted;
  const patterns: string[] = [];
  for (const p of converted.prefixes) {
    const c = prefixPattern(p);
    if ("unmapped" in c) return { unmapped: `regular expression \`${regex}\`: ${c.unmapped}` };
    patterns.push(c.pattern);
  }
  return { mappings: [{ kind: "exec", patterns, approximations: converted.approximations }] };
}

/** An argsPattern of the form `"command":"git status` (as Gemini writes commandPrefix itself). */
function commandOfArgsPattern(argsPattern: string | undefined): string | undefined {
  if (argsPattern === undefined) return undefined;
  const m = /^\\?"command\\?":\\?"(.*)$/.exec(argsPattern);
  return m === null ? undefined : m[1];
}

/**
 * A command regular expression (matched after `"command":"`, so anchored at the start of the
 * command but not at its end) as literal command prefixes: literal text, `\s`/`\s+`/spaces,
 * escaped punctuation, one level of `(a|b)` / `(?:a|b)` literal alternatives, a trailing `.*`,
 * `\b` or `(\s|$)`-style word end. Anything else cannot be a glob.
 */
export function regexPrefixes(
  regex: string,
): { prefixes: string[]; approximations: string[] } | { unmapped: string } {
  const cannot = (why: string) => ({
    unmapped: `regular expression \`${regex}\` cannot be an exec pattern: ${why}`,
  });
  if (regex.startsWith("^")) {
    return cannot(
      "`^` anchors at the start of the JSON arguments, so Gemini CLI never matches it either",
    );
  }
  let body = regex;
  let boundary = false;
  const ends: [RegExp, boolean][] = [
    [/(\.\*)+$/, false],
    [/\\b$/, true],
    [/\((\?:)?(\\s|\s)\|\$\)$/, true],
    [/\((\?:)?\$\|(\\s|\s)\)$/, true],
    [/(\\s|\s)(\+|\*)?$/, true],
  ];
  for (const [re, isBoundary] of ends) {
    if (re.test(body)) {
      body = body.replace(re, "");
      boundary = isBoundary;
      break;
    }
  }
  if (body.endsWith("$"))
    return cannot("`$` anchors at the end of the JSON arguments, which never end with the command");
  let prefixes = [""];
  let i = 0;
  while (i < body.length) {
    const c = body[i]!;
    if (c === "\\") {
      const e = body[i + 1];
      if (e === undefined) return cannot("a dangling backslash");
      if (e === "s") {
        const more = body[i + 2] === "+" ? 1 : 0;
        prefixes = prefixes.map((p) => `${p} `);
        i += 2 + more;
        continue;
      }
      if (/[A-Za-z0-9]/.test(e)) return cannot(`the class \`\\${e}\``);
      prefixes = prefixes.map((p) => p + e);
      i += 2;
      continue;
    }
    if (c === " " && body[i + 1] === "+") {
      prefixes = prefixes.map((p) => `${p} `);
      i += 2;
      continue;
    }
    if (c === "(") {
      const close = body.indexOf(")", i);
      if (close < 0) return cannot("an unclosed group");
      let inner = body.slice(i + 1, close);
      if (inner.startsWith("?:")) inner = inner.slice(2);
      if (/[()[\]{}*+?.^$\\]/.test(inner.replace(/\\[^A-Za-z0-9]/g, ""))) {
        return cannot("a group that is not a list of literal alternatives");
      }
      const alts = inner.split("|").map((a) => a.replace(/\\([^A-Za-z0-9])/g, "$1"));
      if (/^[*+?{]/.test(body[close + 1] ?? "")) return cannot("a repeated group");
      prefixes = prefixes.flatMap((p) => alts.map((a) => p + a));
      i = close + 1;
      continue;
    }
    if ("[]{}*+?.|^$)".includes(c)) return cannot(`\`${c}\` is not literal text`);
    if (/[*+?{]/.test(body[i + 1] ?? "")) return cannot(`a repeated character \`${c}\``);
    prefixes = prefixes.map((p) => p + c);
    i++;
  }
  prefixes = prefixes
    .map((p) => p.replace(/\s+/g, " ").trim())
    .filter((p, k, all) => all.indexOf(p) === k);
  if (prefixes.some((p) => p === ""))
    return cannot("it matches every command; write toolName alone");
  const approximations = boundary
    ? []
    : [
        `the regular expression also matches commands whose last word only starts with ${prefixes.map((p) => `\`${p.split(" ").pop()}\``).join(" or ")} (no word boundary); Warden matches whole words`,
      ];
  return { prefixes, approximations };
}

/** `(a|b|c)`, `a|b` or a literal, as the literal strings; null for any other regex. */
function literalAlternatives(regex: string): string[] | null {
  let r = regex;
  const group = /^\((\?:)?(.*)\)$/.exec(r);
  if (group !== null) r = group[2]!;
  if (/[()[\]{}*+?^$]/.test(r.replace(/\\[^A-Za-z0-9]/g, ""))) return null;
  if (/(^|[^\\])\.(?![^\\])/.test(r.replace(/\\\./g, ""))) return null;
  const alts = r.split("|").map((a) => a.replace(/\\([^A-Za-z0-9])/g, "$1"));
  if (alts.some((a) => a === "" || a.includes('"') || a.includes("/"))) return null;
  return alts;
}

function globEscape(text: string): string {
  return text.replace(/[*?[\]{}()!+@\\]/g, (c) => `\\${c}`);
}

/**
 * Gemini CLI lets the highest-priority matching rule decide (ties: the earlier rule). Warden
 * lets the strongest effect win. They differ where a rule that outranks another is weaker than
 * it and both can match the same call: report each such pair.
 */
function checkPriorities(placed: Placed[], report: ImportNote[]): void {
  for (const a of placed) {
    for (const b of placed) {
      if (a === b || a.draft.kind !== b.draft.kind) continue;
      const outranks =
        a.source.priority > b.source.priority ||
        (a.source.priority === b.source.priority && a.source.index < b.source.index);
      if (!outranks || STRENGTH[a.draft.effect] >= STRENGTH[b.draft.effect]) continue;
      const example = overlap(a.draft, b.draft);
      if (example === null) continue;
      const at = (s: SourceRule) =>
        s.line === undefined ? `rule #${s.index + 1}` : `line ${s.line}`;
      const message = `priority: in Gemini CLI this ${a.source.effect === "ask" ? "ask_user" : a.source.effect} (priority ${a.source.priority}) outranks the ${b.source.effect === "ask" ? "ask_user" : b.source.effect} at ${at(b.source)} (priority ${b.source.priority}) for calls both match, such as ${example}; Warden combines deny > ask > allow, so those get ${b.draft.effect}`;
      report.push({ level: "approximated", line: a.source.line, source: a.source.label, message });
      a.draft.comment.push(`~ ${message}`);
    }
  }
}

/** A request both rules match, described; null when their patterns cannot overlap. */
function overlap(a: DraftRule, b: DraftRule): string | null {
  for (const pa of a.patterns) {
    for (const pb of b.patterns) {
      const e = a.kind === "exec" ? execOverlap(pa, pb) : globOverlap(pa, pb);
      if (e !== null) return `\`${e}\``;
    }
  }
  return null;
}

function execOverlap(a: string, b: string): string | null {
  const ta = a.split(" ");
  const tb = b.split(" ");
  const restA = ta[ta.length - 1] === "*";
  const restB = tb[tb.length - 1] === "*";
  const fa = restA ? ta.slice(0, -1) : ta;
  const fb = restB ? tb.slice(0, -1) : tb;
  const n = Math.min(fa.length, fb.length);
  for (let k = 0; k < n; k++) {
    const x = fa[k]!;
    const y = fb[k]!;
    if (x === y) continue;
    if (isGlob(x) && picomatch.isMatch(y, x)) continue;
    if (isGlob(y) && picomatch.isMatch(x, y)) continue;
    if (isGlob(x) && isGlob(y)) continue;
    return null;
  }
  if (fa.length < fb.length && !restA) return null;
  if (fb.length < fa.length && !restB) return null;
  const longer = fa.length >= fb.length ? fa : fb;
  const shown = longer.filter((t) => !isGlob(t)).join(" ");
  return shown === "" ? "any command" : shown;
}

function globOverlap(a: string, b: string): string | null {
  if (a === b) return a;
  const anywhere = (p: string) => p.startsWith("/**") || p.startsWith("**/") || /^\*[:/]/.test(p);
  if (anywhere(a)) return b;
  if (anywhere(b)) return a;
  if (!isGlob(a) && !isGlob(b)) return null;
  if (!isGlob(a)) return picomatch.isMatch(a, b, { dot: true }) ? a : null;
  if (!isGlob(b)) return picomatch.isMatch(b, a, { dot: true }) ? b : null;
  const la = a.slice(0, a.search(/[*?[{]/));
  const lb = b.slice(0, b.search(/[*?[{]/));
  if (la.startsWith(lb)) return a;
  if (lb.startsWith(la)) return b;
  return null;
}

function isGlob(text: string): boolean {
  return /[*?[{]/.test(text);
}
