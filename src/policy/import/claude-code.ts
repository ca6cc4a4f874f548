/**
 * Claude Code `settings.json` permissions → a Warden policy.
 *
 * Built against Claude Code 2.1.332 (npm `@anthropic-ai/claude-code@2.1.332`, the version this
 * repository installs), the permissions documentation at https://code.claude.com/docs/en/permissions
 * (rule syntax `Tool` / `Tool(specifier)`, deny → ask → allow, `Bash(cmd:*)` and `Bash(cmd *)`,
 * Read/Edit gitignore-style paths `//abs`, `~/home`, `/project-root`, `./cwd`,
 * `WebFetch(domain:…)`, `mcp__server__tool`, `defaultMode`, `additionalDirectories`) and the
 * CHANGELOG of github.com/anthropics/claude-code at 5cfc0a1905ce0c0a9bd81d8a90fe6b62ff614357
 * (2026-08-22): `Write(path)`/`NotebookEdit(path)`/`Glob(path)` rules are not consulted (startup
 * warning, use Edit/Read), single-segment `dir/**` deny/ask rules match at any depth,
 * `Bash(*)` equals `Bash`, `Tool(param:value)` rules.
 *
 * Mapping:
 *   Bash / Bash(*)                 exec `*`
 *   Bash(npm run test:*)           exec `npm run test *`   (legacy prefix form, word boundary)
 *   Bash(ls *) / Bash(ls*)         exec `ls *` / `ls* *`
 *   Bash(git * main)               exec `git * main`      (approximated: Warden's inner `*` is one argument)
 *   Read(path) / Edit(path)        fs.read / fs.write glob (see claudePath)
 *   WebFetch(domain:x)             net.connect `x:443` and `x:80`
 *   mcp__server__tool / mcp__server   mcp.call `server/tool` / `server/*`
 */
import type { Effect, Kind } from "../types.js";
import {
  type DraftPolicy,
  type DraftRule,
  type ImportNote,
  type ImportOptions,
  type ImportResult,
  ImportSyntaxError,
  literalToken,
  oneLine,
  slug,
  writePolicy,
} from "./common.js";
import { type Converted, simpleWords } from "./exec-patterns.js";
import { type JsonValue, member, parseJson } from "./json-source.js";

const LISTS = ["deny", "ask", "allow"] as const;
const KNOWN_PERMISSION_KEYS = new Set([
  ...LISTS,
  "defaultMode",
  "additionalDirectories",
  "disableBypassPermissionsMode",
  "disableAutoMode",
]);

type Mapped =
  | { kind: Kind; patterns: string[]; approximations: string[]; infos?: string[] }
  | { unmapped: string; info?: boolean };

const READ_TOOLS = new Set(["Read"]);
const EDIT_TOOLS = new Set(["Edit", "MultiEdit"]);
/** Path-scoped rules Claude Code accepts but does not consult (it warns at startup). */
const UNCONSULTED_PATH_TOOLS: Record<string, "fs.read" | "fs.write"> = {
  Write: "fs.write",
  NotebookEdit: "fs.write",
  Glob: "fs.read",
  Grep: "fs.read",
  LS: "fs.read",
};
const OTHER_TOOLS: Record<string, string> = {
  WebSearch: "web search runs on Anthropic's side; no connection from this machine to decide",
  Task: "subagents have no Warden kind; their own tool calls are decided as usual",
  Agent: "subagents have no Warden kind; their own tool calls are decided as usual",
  Skill: "skills have no Warden kind; what a skill runs is decided as usual",
  SlashCommand: "slash commands have no Warden kind",
  TodoWrite: "the todo list has no Warden kind",
  NotebookRead: "notebook reads are file reads, allowed by default (fs.read: allow)",
  ExitPlanMode: "plan mode has no Warden equivalent",
  KillShell: "stopping a background shell has no Warden kind",
  BashOutput: "reading a background shell's output has no Warden kind",
};

export function importClaudeCode(text: string, options: ImportOptions = {}): ImportResult {
  const file = options.file ?? "settings.json";
  const root = parseJson(text, file);
  if (root.type !== "object") {
    throw new ImportSyntaxError(file, root.line, 1, "Claude Code settings must be a JSON object");
  }
  const report: ImportNote[] = [];
  const rules: DraftRule[] = [];
  const permissions = member(root, "permissions");
  if (permissions === null) {
    report.push({
      level: "info",
      message: "the settings have no `permissions`; the policy holds Warden's defaults only",
    });
  } else if (permissions.value.type !== "object") {
    throw new ImportSyntaxError(
      file,
      permissions.line,
      undefined,
      "`permissions` must be an object",
    );
  }
  const perms = permissions?.value ?? { type: "object" as const, entries: [], line: 1 };

  for (const list of LISTS) {
    const entry = member(perms, list);
    if (entry === null) continue;
    if (entry.value.type !== "array") {
      throw new ImportSyntaxError(
        file,
        entry.line,
        undefined,
        `\`permissions.${list}\` must be an array of rule strings`,
      );
    }
    for (const item of entry.value.items) {
      if (item.type !== "string") {
        report.push({
          level: "unmapped",
          line: item.line,
          message: `permissions.${list}: an entry that is not a string was skipped`,
        });
        continue;
      }
      const source = item.value;
      const mapped = mapRule(source, list);
      if ("unmapped" in mapped) {
        report.push({
          level: mapped.info === true ? "info" : "unmapped",
          line: item.line,
          source,
          message: mapped.unmapped,
        });
        continue;
      }
      for (const a of mapped.approximations) {
        report.push({ level: "approximated", line: item.line, source, message: a });
      }
      for (const i of mapped.infos ?? []) {
        report.push({ level: "info", line: item.line, source, message: i });
      }
      rules.push({
        id: `${list}-${slug(source.replace(/^mcp__/, "mcp "))}`,
        kind: mapped.kind,
        effect: list,
        patterns: mapped.patterns,
        comment: [
          `${file}:${item.line} permissions.${list} ${JSON.stringify(source)}`,
          ...mapped.approximations.map((a) => `~ ${a}`),
        ],
      });
    }
  }

  const defaults = defaultsFor(perms, file, report, rules);
  for (const key of ["disableBypassPermissionsMode", "disableAutoMode"]) {
    const e = member(perms, key);
    if (e !== null) {
      report.push({
        level: "info",
        line: e.line,
        source: `permissions.${key}`,
        message: "Warden has no bypass mode to disable; nothing to import",
      });
    }
  }
  for (const e of perms.type === "object" ? perms.entries : []) {
    if (!KNOWN_PERMISSION_KEYS.has(e.key)) {
      report.push({
        level: "unmapped",
        line: e.line,
        source: `permissions.${e.key}`,
        message: "this permissions setting has no Warden equivalent",
      });
    }
  }
  const sandbox = member(root, "sandbox");
  if (sandbox !== null) {
    report.push({
      level: "unmapped",
      line: sandbox.line,
      source: "sandbox",
      message:
        "Claude Code's sandbox settings are not imported; Warden's own sandbox and egress proxy decide from this policy",
    });
  }

  const draft: DraftPolicy = {
    name: options.name ?? "imported-claude-code",
    description: `Imported from Claude Code settings ${file}`,
    header: [
      `Imported from Claude Code settings ${file} by \`warden policy import claude-code\``,
      "(built against Claude Code 2.1.332). Each rule below names the settings entry it came from.",
      "Claude Code combines deny > ask > allow, as Warden does, so the order of rules does not matter.",
      "Lines starting with ~ say where Warden will not decide exactly as Claude Code does.",
    ],
    defaults,
    rules,
  };
  return { policy: writePolicy(draft), report };
}

function defaultsFor(
  perms: JsonValue,
  file: string,
  report: ImportNote[],
  rules: DraftRule[],
): DraftPolicy["defaults"] {
  const defaults: DraftPolicy["defaults"] = [
    { key: "exec", effect: "ask", comment: "Claude Code asks before running a command" },
    { key: "fs.read", effect: "allow", comment: "reads need no approval" },
    { key: "fs.write", effect: "ask", comment: "edits need approval" },
    {
      key: "net.connect",
      effect: "deny",
      comment: "Claude Code asks for WebFetch; Warden closes the network",
    },
    { key: "mcp.call", effect: "ask", comment: "MCP tools need approval" },
  ];
  const set = (key: Kind, effect: Effect, comment: string) => {
    const d = defaults.find((x) => x.key === key);
    if (d !== undefined) {
      d.effect = effect;
      d.comment = comment;
    }
  };

  const dirs = member(perms, "additionalDirectories");
  const dirPatterns: string[] = [];
  if (dirs !== null) {
    if (dirs.value.type !== "array") {
      throw new ImportSyntaxError(
        file,
        dirs.line,
        undefined,
        "`permissions.additionalDirectories` must be an array of paths",
      );
    }
    for (const d of dirs.value.items) {
      if (d.type !== "string") continue;
      const p = directoryPattern(d.value);
      if (p === null) {
        report.push({
          level: "unmapped",
          line: d.line,
          source: d.value,
          message:
            "additionalDirectories: a path outside the workspace given relative to it cannot be a Warden pattern; write it absolute",
        });
      } else dirPatterns.push(p);
    }
    if (dirPatterns.length > 0) {
      rules.push({
        id: "additional-directories",
        kind: "fs.read",
        effect: "allow",
        patterns: dirPatterns,
        comment: [
          `${file}:${dirs.line} permissions.additionalDirectories`,
          "Claude Code works in these directories as in the project: reads need no approval.",
        ],
      });
      report.push({
        level: "info",
        line: dirs.line,
        source: "permissions.additionalDirectories",
        message:
          "imported as fs.read allow rules (Warden allows reads by default; deny rules still win)",
      });
    }
  }

  const mode = member(perms, "defaultMode");
  if (mode === null) return defaults;
  const value = mode.value.type === "string" ? mode.value.value : JSON.stringify(mode.value);
  const note = (level: ImportNote["level"], message: string) =>
    report.push({ level, line: mode.line, source: `defaultMode: ${value}`, message });
  switch (value) {
    case "default":
    case "manual":
      break;
    case "acceptEdits":
      rules.push({
        id: "accept-edits",
        kind: "fs.write",
        effect: "allow",
        patterns: ["${workspace}/**", ...dirPatterns],
        comment: [
          `${file}:${mode.line} permissions.defaultMode "acceptEdits"`,
          "Claude Code accepts file edits in its working directories without asking.",
        ],
      });
      note(
        "approximated",
        "imported as an fs.write allow rule for the workspace (and additionalDirectories); Warden also applies it to files written by commands, which Claude Code's mode does not cover",
      );
      break;
    case "dontAsk":
      set("exec", "deny", "dontAsk: what no rule allows is refused");
      set("fs.write", "deny", "dontAsk: what no rule allows is refused");
      set("mcp.call", "deny", "dontAsk: what no rule allows is refused");
      note("info", "imported as defaults: exec, fs.write and mcp.call deny what no rule allows");
      break;
    case "plan":
      note(
        "unmapped",
        "plan mode is a session state, not a policy; the defaults stay ask for commands and edits",
      );
      break;
    case "bypassPermissions":
      note(
        "unmapped",
        "not imported on purpose: Warden does not turn approvals off wholesale; the defaults stay ask — add allow rules for what may run unattended",
      );
      break;
    case "auto":
      note(
        "unmapped",
        "auto mode approves by a model-based classifier; Warden decides by rules, so the defaults stay ask",
      );
      break;
    default:
      note("unmapped", "unknown permission mode; the defaults stay as Warden's");
  }
  return defaults;
}

function directoryPattern(dir: string): string | null {
  const d = dir.replace(/\/+$/, "");
  if (d.startsWith("/")) return `${d}/**`;
  if (d === "~" || d.startsWith("~/")) return `${d}/**`;
  const rel = d.replace(/^\.\//, "");
  if (rel === "" || rel === ".") return "${workspace}/**";
  if (rel.split("/").includes("..")) return null;
  return `\${workspace}/${rel}/**`;
}

/** `Tool` or `Tool(specifier)`. */
export function parseRule(rule: string): { tool: string; spec: string | null } | null {
  const m = /^\s*([A-Za-z0-9_-]+)\s*(?:\(([\s\S]*)\))?\s*$/.exec(rule);
  if (m === null) return null;
  return { tool: m[1]!, spec: m[2] ?? null };
}

function mapRule(rule: string, effect: Effect): Mapped {
  const parsed = parseRule(rule);
  if (parsed === null) {
    return { unmapped: "not a permission rule (expected `Tool` or `Tool(specifier)`)" };
  }
  const { tool, spec } = parsed;
  if (tool === "Bash") {
    const c = bashPattern(spec ?? "*");
    return "unmapped" in c
      ? c
      : { kind: "exec", patterns: [c.pattern], approximations: c.approximations };
  }
  if (READ_TOOLS.has(tool) || EDIT_TOOLS.has(tool)) {
    const kind = READ_TOOLS.has(tool) ? "fs.read" : "fs.write";
    if (spec === null) {
      return tool === "MultiEdit"
        ? {
            kind,
            patterns: ["/**"],
            approximations: [
              "Warden decides file writes whichever tool makes them: this covers Edit and Write too",
            ],
          }
        : { kind, patterns: ["/**"], approximations: [] };
    }
    return pathRule(kind, spec, effect);
  }
  const unconsulted = UNCONSULTED_PATH_TOOLS[tool];
  if (unconsulted !== undefined) {
    if (spec === null) {
      if (unconsulted === "fs.read") {
        return effect === "allow"
          ? {
              unmapped: `${tool} is a read tool; reads are allowed by default in Warden (fs.read: allow)`,
              info: true,
            }
          : {
              unmapped: `Warden decides which files are read, not which tool reads them; a ${effect} of the whole ${tool} tool has no equivalent — write Read(path) rules`,
            };
      }
      return {
        kind: "fs.write",
        patterns: ["/**"],
        approximations: [
          `Warden decides file writes whichever tool makes them: this covers Edit too, not only ${tool}`,
        ],
      };
    }
    if (effect === "allow") {
      return {
        unmapped: `Claude Code does not consult path-scoped ${tool}(...) rules (it warns at startup), so this grants nothing; write ${unconsulted === "fs.read" ? "Read" : "Edit"}(...) instead`,
      };
    }
    const mapped = pathRule(unconsulted, spec, effect);
    if ("unmapped" in mapped) return mapped;
    mapped.approximations.unshift(
      `Claude Code does not consult path-scoped ${tool}(...) rules; Warden enforces this ${effect} as written (stricter)`,
    );
    return mapped;
  }
  if (tool === "WebFetch") return webFetch(spec);
  if (tool.startsWith("mcp__")) {
    if (spec !== null) {
      return { unmapped: "MCP rules with a specifier are not supported by Claude Code or Warden" };
    }
    const rest = tool.slice("mcp__".length);
    const split = rest.indexOf("__");
    const server = split < 0 ? rest : rest.slice(0, split);
    const name = split < 0 ? "*" : rest.slice(split + 2) || "*";
    if (server === "") return { unmapped: "MCP rule without a server name" };
    return { kind: "mcp.call", patterns: [`${server}/${name}`], approximations: [] };
  }
  const other = OTHER_TOOLS[tool];
  if (other !== undefined) return { unmapped: other, info: effect === "allow" };
  return { unmapped: `unknown tool \`${tool}\`; Warden has no kind for it` };
}

/** A Claude Code Bash specifier as an exec pattern. */
export function bashPattern(spec: string): Converted {
  let body = spec.trim();
  if (body === "" || body === "*") return { pattern: "*", approximations: [] };
  let rest = false;
  if (body.endsWith(":*")) {
    body = body.slice(0, -2).trimEnd();
    rest = true;
  }
  const split = simpleWords(body);
  if ("unmapped" in split) return split;
  const words = [...split.words];
  const last = words[words.length - 1];
  if (!rest && last !== undefined && !last.quoted && last.text === "*") {
    rest = true;
    words.pop();
  }
  if (words.length === 0) return { pattern: "*", approximations: [] };
  const approximations: string[] = [];
  const tokens: string[] = [];
  words.forEach((w, k) => {
    if (w.quoted || !w.text.includes("*")) {
      tokens.push(literalToken(w.text));
      return;
    }
    const isLast = k === words.length - 1;
    if (/[?[\]{}]/.test(w.text)) {
      approximations.push(
        `\`${w.text}\`: Warden reads ?, [ ] and { } as glob characters, Claude Code as literal text`,
      );
    }
    if (w.text === "*") {
      approximations.push(
        "a `*` between words matches exactly one argument in Warden; in Claude Code it matches any text, several arguments or none",
      );
    } else if (isLast && !rest && w.text.indexOf("*") === w.text.length - 1) {
      rest = true; // `ls*`: a prefix without a word boundary, then anything
    } else {
      approximations.push(
        `\`${w.text}\` is matched within one argument in Warden; Claude Code's \`*\` also matches spaces`,
      );
    }
    tokens.push(w.text);
  });
  return { pattern: `${tokens.join(" ")}${rest ? " *" : ""}`, approximations };
}

function pathRule(kind: "fs.read" | "fs.write", spec: string, effect: Effect): Mapped {
  const p = claudePath(spec, effect);
  if ("unmapped" in p) return p;
  return { kind, patterns: p.patterns, approximations: [], infos: p.infos };
}

/**
 * A Read/Edit specifier (gitignore syntax) as Warden fs globs:
 *   //abs/path → /abs/path        ~/path → ~/path
 *   /path      → ${workspace}/path   (Claude Code: relative to the project root)
 *   path, ./path → ${workspace}/path when it has an inner slash, else ${workspace}/**\/path
 *                  (gitignore: a name without a slash matches at any depth)
 * A pattern whose last segment has no wildcard also covers what is under it (gitignore matches
 * a directory's contents); a trailing slash means the directory's contents.
 */
export function claudePath(
  spec: string,
  effect: Effect,
): { patterns: string[]; infos: string[] } | { unmapped: string } {
  const s = spec.trim();
  const infos: string[] = [];
  if (/^[A-Za-z]:[\\/]/.test(s) || s.includes("\\")) {
    return { unmapped: "Windows paths are not supported; write the path with forward slashes" };
  }
  let bases: string[];
  if (s === "" || s === "*" || s === "**" || s === "./**" || s === "./*") {
    return { patterns: ["${workspace}/**"], infos };
  }
  if (s.startsWith("//")) bases = [`/${s.slice(2).replace(/^\/+/, "")}`];
  else if (s === "~" || s.startsWith("~/")) bases = [s === "~" ? "~/**" : s];
  else if (s.startsWith("/")) {
    bases = [`\${workspace}${s}`];
    infos.push(
      "a leading `/` is relative to the project root in Claude Code; imported as ${workspace}",
    );
  } else {
    const rel = s.replace(/^(\.\/)+/, "");
    if (rel.split("/").includes("..")) {
      return {
        unmapped:
          "a path above the working directory (`..`) cannot be a Warden pattern; write it as //absolute or ~/path",
      };
    }
    const trimmed = rel.replace(/\/+$/, "");
    let anchored = trimmed.includes("/");
    // Claude Code keeps the any-depth match of single-segment `dir/**` deny and ask rules.
    if (effect !== "allow" && /^[^/]+\/\*\*$/.test(trimmed)) anchored = false;
    // Any depth: the workspace itself and every directory below it (both written out, so the
    // pattern does not depend on how a leading `**/` treats zero directories).
    bases = anchored
      ? [`\${workspace}/${rel}`]
      : [`\${workspace}/${rel}`, `\${workspace}/**/${rel}`];
  }
  const patterns: string[] = [];
  for (const base of bases) {
    if (base.endsWith("/")) patterns.push(`${base}**`);
    else if (/[*?[{]/.test(base.slice(base.lastIndexOf("/") + 1))) patterns.push(base);
    else patterns.push(base, `${base}/**`);
  }
  return { patterns, infos };
}

function webFetch(spec: string | null): Mapped {
  const portsNote =
    "WebFetch fetches over HTTP(S): imported as ports 443 and 80. Warden's net.connect also decides every other program's connections to these hosts";
  if (spec === null || spec.trim() === "*") {
    return { kind: "net.connect", patterns: ["*:443", "*:80"], approximations: [portsNote] };
  }
  const m = /^\s*domain:\s*(\S+)\s*$/.exec(spec);
  if (m === null) {
    return {
      unmapped: `only WebFetch(domain:…) rules can be imported (got \`${oneLine(spec, 60)}\`)`,
    };
  }
  const host = m[1]!.toLowerCase();
  if (!/^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*\.?$/.test(host) && host !== "*") {
    return { unmapped: `\`${host}\` is not a host name or \`*.domain\` wildcard` };
  }
  return {
    kind: "net.connect",
    patterns: [`${host}:443`, `${host}:80`],
    approximations: [portsNote],
  };
}
