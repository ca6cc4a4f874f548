/**
 * Codex CLI execpolicy rules (`~/.codex/rules/*.rules`, Starlark) → a Warden policy, and a Warden
 * test file from the rules' `match` / `not_match` examples.
 *
 * Built against Codex CLI 0.169.0 (npm `@openai/codex@0.169.0`, the version this repository
 * installs; its `codex execpolicy check` is the reference in the tests) and the sources of
 * github.com/openai/codex `codex-rs/execpolicy`: README.md and src/parser.rs at
 * 11b641afe75bcc0c802de8cbd0e37e551f21a9ce, src/rule.rs at
 * 1940a36879ead0b5caf62204a7ca309ee4e18899.
 *
 * Semantics imported:
 *   prefix_rule(pattern=[...], decision=, justification=, match=, not_match=)
 *     - the command's argv must start with the pattern's tokens (extra arguments allowed):
 *       Warden exec `tok1 tok2 *`; a list element means alternatives and expands into one
 *       pattern per combination; tokens are literal (quoted in Warden when they hold glob
 *       characters);
 *     - decision allow | prompt | forbidden (default allow) → allow | ask | deny; Codex takes the
 *       strictest decision of all matching rules (forbidden > prompt > allow), as Warden does;
 *     - justification → reason; match / not_match → the test file.
 *   network_rule(host=, protocol=, decision=) → net.connect (https 443, http 80, socks5_tcp any port).
 *   host_executable(name=, paths=) → a report note (Warden's deny/ask patterns already see through
 *     a program's path; allow patterns match the name as written).
 */
import type { Effect } from "../types.js";
import {
  commandLine,
  type DraftPolicy,
  type DraftRule,
  type ImportNote,
  type ImportOptions,
  type ImportResult,
  ImportSyntaxError,
  literalToken,
  oneLine,
  slug,
  strongest,
  writePolicy,
  yamlString,
} from "./common.js";
import {
  readStarlark,
  type StarlarkArg,
  type StarlarkCall,
  type StarlarkNode,
} from "./starlark.js";

const DECISIONS: Record<string, Effect> = { allow: "allow", prompt: "ask", forbidden: "deny" };

interface PrefixRule {
  /** Each position's alternatives. */
  tokens: string[][];
  effect: Effect;
  line: number;
  matches: string[][];
  notMatches: string[][];
  id: string;
}

const SIGNATURES: Record<string, readonly string[]> = {
  prefix_rule: ["pattern", "decision", "match", "not_match", "justification", "reviewer"],
  network_rule: ["host", "protocol", "decision", "justification"],
  host_executable: ["name", "paths"],
};

export function importCodex(text: string, options: ImportOptions = {}): ImportResult {
  const file = options.file ?? "default.rules";
  const calls = readStarlark(text, file);
  const report: ImportNote[] = [];
  const rules: DraftRule[] = [];
  const prefixRules: PrefixRule[] = [];
  const usedIds = new Set<string>();
  const uniqueId = (base: string): string => {
    let id = base;
    for (let n = 2; usedIds.has(id); n++) id = `${base}-${n}`;
    usedIds.add(id);
    return id;
  };

  for (const c of calls) {
    const args = bindArgs(c, file);
    let source = oneLine(c.text);
    if (c.name === "prefix_rule") {
      const tokens = patternOf(args.pattern, c, file);
      const decisionText =
        args.decision === undefined ? "allow" : str(args.decision, file, "decision");
      const effect = DECISIONS[decisionText];
      if (effect === undefined) {
        fail(
          file,
          args.decision!,
          `decision must be "allow", "prompt" or "forbidden" (got "${decisionText}")`,
        );
      }
      source = `prefix_rule(pattern=${patternText(tokens)}, decision=${JSON.stringify(decisionText)})`;
      const justification =
        args.justification === undefined
          ? undefined
          : str(args.justification, file, "justification");
      if (justification !== undefined && justification.trim() === "") {
        fail(file, args.justification!, "justification cannot be empty");
      }
      if (args.reviewer !== undefined) {
        const reviewer = str(args.reviewer, file, "reviewer");
        report.push({
          level: reviewer === "auto_review" ? "approximated" : "info",
          line: c.line,
          source,
          message:
            reviewer === "auto_review"
              ? 'reviewer = "auto_review": Codex lets a model review the prompt; Warden\'s ask goes to a human'
              : `reviewer = "${reviewer}": Warden's ask goes to a human approver`,
        });
      }
      const matches = examplesOf(args.match, file, "match");
      const notMatches = examplesOf(args.not_match, file, "not_match");
      const patterns = expand(tokens).map((t) => `${t.map(literalToken).join(" ")} *`);
      const id = uniqueId(`${effect}-${slug(tokens.map((alts) => alts.join(" ")).join(" "))}`);
      prefixRules.push({ tokens, effect: effect!, line: c.line, matches, notMatches, id });
      const comment = [`${file}:${c.line} ${source}`];
      if (patterns.length > 1) {
        comment.push(`alternatives expanded into ${patterns.length} patterns`);
      }
      const rule: DraftRule = { id, kind: "exec", effect: effect!, patterns, comment };
      if (justification !== undefined) rule.reason = justification;
      rules.push(rule);
    } else if (c.name === "network_rule") {
      const host = str(required(args, "host", c, file), file, "host")
        .trim()
        .toLowerCase();
      const protocol = str(required(args, "protocol", c, file), file, "protocol");
      const decisionText = str(required(args, "decision", c, file), file, "decision");
      const effect = decisionText === "deny" ? "deny" : DECISIONS[decisionText];
      if (effect === undefined) {
        fail(
          file,
          args.decision!,
          `decision must be "allow", "prompt", "forbidden" or "deny" (got "${decisionText}")`,
        );
      }
      if (host === "" || /[*/?#\s]/.test(host)) {
        fail(
          file,
          args.host!,
          "network_rule host must be a host name or IP literal, without wildcards, scheme or path",
        );
      }
      const bare = host
        .replace(/^\[(.*)\](:\d+)?$/, "$1")
        .replace(/^([^:]+):\d+$/, "$1")
        .replace(/\.$/, "");
      const h = bare.includes(":") ? `[${bare}]` : bare;
      let patterns: string[];
      if (protocol === "https" || protocol === "https_connect" || protocol === "http-connect") {
        patterns = [`${h}:443`];
      } else if (protocol === "http") {
        patterns = [`${h}:80`];
      } else if (protocol === "socks5_tcp") {
        patterns = [h];
        report.push({
          level: "approximated",
          line: c.line,
          source,
          message: "SOCKS5 TCP reaches any port: imported as the host on every port",
        });
      } else if (protocol === "socks5_udp") {
        report.push({
          level: "unmapped",
          line: c.line,
          source,
          message:
            "UDP through SOCKS5 has no Warden equivalent (net.connect decides TCP connections)",
        });
        continue;
      } else {
        fail(
          file,
          args.protocol!,
          `protocol must be one of http, https, socks5_tcp, socks5_udp (got "${protocol}")`,
        );
      }
      const rule: DraftRule = {
        id: uniqueId(`${effect}-net-${slug(host)}`),
        kind: "net.connect",
        effect: effect!,
        patterns: patterns!,
        comment: [`${file}:${c.line} ${source}`],
      };
      if (args.justification !== undefined)
        rule.reason = str(args.justification, file, "justification");
      rules.push(rule);
    } else if (c.name === "host_executable") {
      const name = str(required(args, "name", c, file), file, "name");
      report.push({
        level: "info",
        line: c.line,
        source,
        message: `not imported: Warden's deny and ask patterns already match \`/any/path/${name}\` as \`${name}\`; allow patterns match the program as written, so write absolute paths into allow rules if you need them`,
      });
    }
  }

  // Examples: Codex checks them at load time; here they become Warden test cases with the
  // decision Codex gives (the strictest of every rule whose prefix matches).
  const decide = (argv: string[]): Effect | null =>
    strongest(prefixRules.filter((r) => matchesPrefix(r, argv)).map((r) => r.effect));
  const tests: string[] = [];
  for (const r of prefixRules) {
    for (const ex of r.matches) {
      if (!matchesPrefix(r, ex)) {
        report.push({
          level: "unmapped",
          line: r.line,
          source: commandLine(ex),
          message:
            "a `match` example does not match its rule (Codex refuses to load this file); left out of the tests",
        });
        continue;
      }
      tests.push(testCase(`${file}:${r.line} match`, ex, decide(ex) ?? "ask"));
    }
    for (const ex of r.notMatches) {
      if (matchesPrefix(r, ex)) {
        report.push({
          level: "unmapped",
          line: r.line,
          source: commandLine(ex),
          message:
            "a `not_match` example matches its rule (Codex refuses to load this file); left out of the tests",
        });
        continue;
      }
      const effect = decide(ex);
      tests.push(
        testCase(
          `${file}:${r.line} not_match`,
          ex,
          effect ?? "ask",
          effect === null ? "no rule matches: Warden's default for exec" : undefined,
        ),
      );
    }
  }

  const draft: DraftPolicy = {
    name: options.name ?? "imported-codex",
    description: `Imported from Codex rules ${file}`,
    header: [
      `Imported from Codex rules ${file} by \`warden policy import codex\` (built against Codex CLI 0.169.0).`,
      "Each rule below names the prefix_rule it came from. A Codex pattern is a prefix of the",
      "command's arguments, so each Warden pattern ends in `*` (any further arguments, none included).",
      "Codex takes the strictest decision of all matching rules (forbidden > prompt > allow), as Warden",
      "does (deny > ask > allow). A command no rule matches is left to Codex's approval policy; here",
      "it gets Warden's default for exec (ask).",
    ],
    defaults: [
      { key: "exec", effect: "ask", comment: "no rule matched: a human approves" },
      { key: "net.connect", effect: "deny", comment: "no network_rule matched" },
    ],
    rules,
  };
  const result: ImportResult = { policy: writePolicy(draft), report };
  if (tests.length > 0) {
    result.tests = [
      `# Warden tests from the match / not_match examples of ${file} (warden policy import codex).`,
      "# Each expects the decision Codex gives the command under the same rules.",
      "tests:",
      ...tests,
    ].join("\n");
    result.tests += "\n";
  } else {
    result.tests = `# ${file} has no match / not_match examples.\ntests: []\n`;
  }
  return result;
}

function testCase(name: string, argv: string[], expect: Effect, note?: string): string {
  const cmd = commandLine(argv);
  const lines = [
    `  - name: ${yamlString(`${name}: ${cmd}`)}`,
    `    exec: ${yamlString(cmd)}`,
    `    expect: ${expect}${note === undefined ? "" : `   # ${note}`}`,
  ];
  return lines.join("\n");
}

function patternText(tokens: string[][]): string {
  const item = (alts: string[]) =>
    alts.length === 1
      ? JSON.stringify(alts[0])
      : `[${alts.map((a) => JSON.stringify(a)).join(", ")}]`;
  return `[${tokens.map(item).join(", ")}]`;
}

function matchesPrefix(rule: PrefixRule, argv: readonly string[]): boolean {
  if (argv.length < rule.tokens.length) return false;
  return rule.tokens.every((alts, k) => alts.includes(argv[k]!));
}

/** Every combination of the alternatives, in order. */
function expand(tokens: string[][]): string[][] {
  let out: string[][] = [[]];
  for (const alts of tokens) out = out.flatMap((prefix) => alts.map((a) => [...prefix, a]));
  return out;
}

function fail(file: string, node: StarlarkNode | StarlarkArg, message: string): never {
  throw new ImportSyntaxError(file, node.line, node.column, message);
}

function bindArgs(c: StarlarkCall, file: string): Record<string, StarlarkNode> {
  const params = SIGNATURES[c.name];
  if (params === undefined) {
    throw new ImportSyntaxError(
      file,
      c.line,
      c.column,
      `\`${c.name}\` is not a Codex rules function (expected prefix_rule, network_rule or host_executable)`,
    );
  }
  const bound: Record<string, StarlarkNode> = {};
  c.args.forEach((a, k) => {
    const name = a.name ?? params[k];
    if (name === undefined || !params.includes(name)) {
      fail(
        file,
        a,
        a.name === null
          ? `too many positional arguments for ${c.name}`
          : `unknown argument \`${a.name}\` for ${c.name} (expected ${params.join(", ")})`,
      );
    }
    if (bound[name!] !== undefined) fail(file, a, `argument \`${name}\` given twice`);
    bound[name!] = a.node;
  });
  return bound;
}

function required(
  args: Record<string, StarlarkNode>,
  name: string,
  c: StarlarkCall,
  file: string,
): StarlarkNode {
  const v = args[name];
  if (v === undefined) {
    throw new ImportSyntaxError(file, c.line, c.column, `${c.name} needs \`${name}\``);
  }
  return v;
}

function str(node: StarlarkNode, file: string, what: string): string {
  if (node.value.type !== "string")
    fail(file, node, `${what} must be a string (got ${node.value.type})`);
  return (node.value as { value: string }).value;
}

function patternOf(node: StarlarkNode | undefined, c: StarlarkCall, file: string): string[][] {
  if (node === undefined)
    throw new ImportSyntaxError(file, c.line, c.column, "prefix_rule needs `pattern`");
  if (node.value.type !== "list") fail(file, node, "pattern must be a list");
  const items = (node.value as { items: StarlarkNode[] }).items;
  if (items.length === 0) fail(file, node, "pattern cannot be empty");
  return items.map((item) => {
    if (item.value.type === "string") return [item.value.value];
    if (item.value.type === "list") {
      const alts = item.value.items.map((a) => str(a, file, "a pattern alternative"));
      if (alts.length === 0) fail(file, item, "pattern alternatives cannot be empty");
      return alts;
    }
    return fail(
      file,
      item,
      `pattern element must be a string or list of strings (got ${item.value.type})`,
    );
  });
}

function examplesOf(node: StarlarkNode | undefined, file: string, what: string): string[][] {
  if (node === undefined) return [];
  if (node.value.type !== "list") fail(file, node, `${what} must be a list of examples`);
  return (node.value as { items: StarlarkNode[] }).items.map((ex) => {
    if (ex.value.type === "string") {
      const tokens = shlexSplit(ex.value.value);
      if (tokens === null) fail(file, ex, `${what} example has invalid shell syntax`);
      if (tokens!.length === 0) fail(file, ex, `${what} example cannot be an empty string`);
      return tokens!;
    }
    if (ex.value.type === "list") {
      const tokens = ex.value.items.map((t) => str(t, file, `${what} example token`));
      if (tokens.length === 0) fail(file, ex, `${what} example cannot be an empty list`);
      return tokens;
    }
    return fail(
      file,
      ex,
      `${what} example must be a string or list of strings (got ${ex.value.type})`,
    );
  });
}

/** POSIX shell-like splitting, as Codex does with the `shlex` crate; null on a bad quote. */
export function shlexSplit(text: string): string[] | null {
  const out: string[] = [];
  let word: string | null = null;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      if (word !== null) out.push(word);
      word = null;
      i++;
    } else if (c === "#" && word === null) {
      while (i < text.length && text[i] !== "\n") i++;
    } else if (c === "'") {
      const end = text.indexOf("'", i + 1);
      if (end < 0) return null;
      word = (word ?? "") + text.slice(i + 1, end);
      i = end + 1;
    } else if (c === '"') {
      i++;
      let w: string = word ?? "";
      for (;;) {
        if (i >= text.length) return null;
        const d = text[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === "\\" && i + 1 < text.length && '$`"\\\n'.includes(text[i + 1]!)) {
          if (text[i + 1] !== "\n") w += text[i + 1];
          i += 2;
          continue;
        }
        w += d;
        i++;
      }
      word = w;
    } else if (c === "\\") {
      if (i + 1 >= text.length) return null;
      if (text[i + 1] !== "\n") word = (word ?? "") + text[i + 1];
      i += 2;
    } else {
      word = (word ?? "") + c;
      i++;
    }
  }
  if (word !== null) out.push(word);
  return out;
}
