import { posix } from "node:path";
import type { Parser } from "web-tree-sitter";
import { FILE_EFFECTS } from "./file-effects.js";
import { INTERPRETERS, interpreterName, readsProgramFromStdin } from "./interpreters.js";
import { plainTree } from "./plain.js";
import { copyTree, firstError, type Grammar, type SyntaxNode as Node } from "./syntax.js";
import type {
  AnalyzeOptions,
  CommandAnalysis,
  FileAccess,
  FileAccessKind,
  SimpleCommand,
} from "./types.js";
import { displayArgv, foldWord, staticWord, type Word } from "./words.js";
import { WRAPPERS } from "./wrappers.js";

/** How deep strings run by shells may nest (`bash -c "bash -c '…'"`) before analysis gives up. */
const MAX_DEPTH = 16;

/** Environment variables whose value is a command line that the program runs through a shell. */
const COMMAND_ENV = new Set([
  "GIT_SSH_COMMAND",
  "GIT_PAGER",
  "PAGER",
  "MANPAGER",
  "SYSTEMD_PAGER",
  "GIT_EDITOR",
  "GIT_SEQUENCE_EDITOR",
  "EDITOR",
  "VISUAL",
  "GIT_EXTERNAL_DIFF",
  "GIT_ASKPASS",
  "SSH_ASKPASS",
  "SUDO_ASKPASS",
  "BROWSER",
  "PROMPT_COMMAND",
  "LESSOPEN",
  "LESSCLOSE",
]);

/** Environment variables that change which code a command runs. */
const HIJACK_ENV =
  /^(LD_PRELOAD|LD_LIBRARY_PATH|LD_AUDIT|DYLD_[A-Z_]+|BASH_ENV|ENV|PATH|IFS|PS4|SHELLOPTS|BASHOPTS|NODE_OPTIONS|NODE_PATH|PYTHONPATH|PYTHONSTARTUP|PYTHONHOME|PERL5OPT|PERL5LIB|PERLLIB|RUBYOPT|RUBYLIB|GIT_CONFIG_[A-Z0-9_]+|GIT_CONFIG|GIT_EXEC_PATH|GIT_TEMPLATE_DIR|GIT_DIR|GIT_WORK_TREE|GIT_SSH|GIT_PROXY_COMMAND|ZDOTDIR|HISTFILE|JAVA_TOOL_OPTIONS|_JAVA_OPTIONS|npm_config_[a-z_]+|NPM_CONFIG_[A-Z_]+)$/;

/** Files that redirections may name without reading or writing a real file. */
const PSEUDO_FILES = new Set(["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/stdin", "/dev/tty"]);

/** Lookups by command name as Maps: property lookups on a fresh key string cost far more. */
const FILE_EFFECT_BY_NAME = new Map(Object.entries(FILE_EFFECTS));
const WRAPPER_BY_NAME = new Map(Object.entries(WRAPPERS));

/** Commands that write their arguments to standard output, for `echo 'rm -rf /' | sh`. */
const PRINTERS = new Set(["echo", "printf"]);

interface Shared {
  out: CommandAnalysis;
  /** Null when analysing without the grammar (analyzePlainLine): a string needing it throws. */
  parser: Parser | null;
  grammar: Grammar | null;
  /** Plain lines (plain.ts) skip the parser; off only to check that both agree. */
  plain: boolean;
  /** Directory set by `cd` earlier on the line: relative paths after it are resolved against it. */
  cwd: { prefix?: string; dynamic?: string };
  /** A bare assignment earlier on the line changed how later commands run (e.g. `PATH=…`). */
  taint?: string;
  /** Error-free trees of the texts parsed so far on this line (`bash -c '…'` often repeats). */
  trees: Map<string, Node>;
}

interface Ctx {
  shared: Shared;
  path: string[];
  remote: boolean;
  depth: number;
  /** Functions defined unconditionally earlier in this shell: calling one runs its body. */
  functions: Set<string>;
  /** Offset in the analysed line of the text being parsed (nested strings report the outer word). */
  errorOffset?: number;
}

interface CommandInfo {
  text: string;
  /** Code arriving on the command's standard input, when known (here-doc, `echo … |`). */
  stdinCode?: string;
  /** Standard input is a pipe, file or here-doc rather than the terminal. */
  stdinRedirected: boolean;
  /** Reached directly on the line, not through a wrapper (only then can it call a function). */
  direct: boolean;
  dynamicArgs?: boolean;
  reason?: string;
}

export function analyzeLine(
  parser: Parser | null,
  grammar: Grammar | null,
  line: string,
  _options?: AnalyzeOptions,
  plain = true,
): CommandAnalysis {
  const out: CommandAnalysis = { commands: [], files: [] };
  const shared: Shared = { out, parser, grammar, plain, cwd: {}, trees: new Map() };
  analyzeSource(line, { shared, path: [], remote: false, depth: 0, functions: new Set() });
  return out;
}

/** A string (the line, or one it runs) needs the grammar, and analyzePlainLine has none. */
class GrammarNeeded extends Error {}

/**
 * The analysis of `line` without the bash grammar: the same as analyzeLine's when the line and
 * every string it runs (`bash -c ls`) are plain (plain.ts); undefined when one is not.
 */
export function analyzePlainLine(
  line: string,
  options?: AnalyzeOptions,
): CommandAnalysis | undefined {
  try {
    return analyzeLine(null, null, line, options);
  } catch (error) {
    if (error instanceof GrammarNeeded) return undefined;
    throw error;
  }
}

function analyzeSource(source: string, ctx: Ctx, stdinCode?: string): void {
  const { shared } = ctx;
  if (ctx.depth > MAX_DEPTH) {
    setError(shared, `commands nested more than ${MAX_DEPTH} levels deep`, ctx.errorOffset ?? 0);
    return;
  }
  const seen = shared.trees.get(source);
  if (seen) {
    walkChildren(seen, ctx, stdinCode, true);
    return;
  }
  const plain = shared.plain ? plainTree(source) : undefined;
  if (plain !== undefined) {
    shared.trees.set(source, plain);
    walkChildren(plain, ctx, stdinCode, true);
    return;
  }
  if (shared.parser === null || shared.grammar === null) throw new GrammarNeeded();
  const tree = shared.parser.parse(source);
  if (!tree) {
    setError(shared, "the shell parser returned no tree", ctx.errorOffset ?? 0);
    return;
  }
  let root: Node;
  try {
    const top = tree.rootNode;
    if (top.hasError) {
      const bad = firstError(top);
      const where = ctx.path.length ? ` in ${ctx.path.join(" → ")}` : "";
      const message = bad
        ? bad.isMissing
          ? `syntax error${where}: missing ${JSON.stringify(bad.type)}`
          : `syntax error${where} near ${JSON.stringify(bad.text.slice(0, 40))}`
        : `syntax error${where}`;
      setError(shared, message, ctx.errorOffset ?? bad?.startIndex ?? 0);
      return;
    }
    root = copyTree(tree, source, shared.grammar);
    shared.trees.set(source, root);
  } finally {
    tree.delete();
  }
  walkChildren(root, ctx, stdinCode, true);
}

function setError(shared: Shared, message: string, offset: number): void {
  shared.out.error ??= { message, offset };
}

function nested(ctx: Ctx, label: string, remote = false): Ctx {
  return makeCtx(ctx, label, ctx.remote || remote, ctx.depth, ctx.functions, ctx.errorOffset);
}

/** A context for code run by a command of `ctx` (a fresh shell: no functions from the caller). */
function inner(ctx: Ctx, label: string, errorOffset: number, remote = false): Ctx {
  return makeCtx(ctx, label, ctx.remote || remote, ctx.depth + 1, new Set(), errorOffset);
}

function makeCtx(
  ctx: Ctx,
  label: string,
  remote: boolean,
  depth: number,
  functions: Set<string>,
  errorOffset: number | undefined,
): Ctx {
  const path = ctx.path.slice();
  path.push(label);
  return { shared: ctx.shared, path, remote, depth, functions, errorOffset };
}

function walkChildren(node: Node, ctx: Ctx, stdinCode: string | undefined, topLevel = false): void {
  for (const child of node.namedChildren) if (child) walk(child, ctx, stdinCode, topLevel);
}

/** Visits any node, finding every command that runs inside it. */
function walk(node: Node, ctx: Ctx, stdinCode?: string, topLevel = false): void {
  switch (node.type) {
    case "comment":
      return;
    case "command":
      visitCommand(node, [], ctx, stdinCode, stdinCode !== undefined);
      return;
    case "redirected_statement":
      visitRedirected(node, ctx, stdinCode);
      return;
    case "pipeline":
      visitPipeline(
        node.namedChildren.filter((n) => n !== null),
        ctx,
        stdinCode,
      );
      return;
    case "function_definition": {
      const name = node.namedChildren[0] ?? null;
      const fname = name ? foldWord(name).value : "?";
      for (const child of node.namedChildren) {
        if (child !== name) walk(child, nested(ctx, `${fname}()`));
      }
      if (topLevel) ctx.functions.add(fname);
      return;
    }
    case "command_substitution": {
      const label = node.text.startsWith("`") ? "`…`" : "$(…)";
      walkChildren(node, nested(ctx, label), undefined);
      return;
    }
    case "process_substitution":
      walkChildren(node, nested(ctx, `${node.text.slice(0, 2)}…)`), undefined);
      return;
    case "variable_assignment":
    case "declaration_command":
      visitAssignments(node, ctx);
      return;
    case "unset_command":
      for (const child of node.namedChildren)
        if (child) ctx.functions.delete(foldWord(child).value);
      walkChildren(node, ctx, undefined);
      return;
    case "subshell":
    case "compound_statement":
    case "list":
      walkChildren(node, ctx, stdinCode);
      return;
    default:
      walkChildren(node, ctx, undefined);
  }
}

function visitPipeline(stages: Node[], ctx: Ctx, stdinCode: string | undefined): void {
  let feed = stdinCode;
  let piped = stdinCode !== undefined;
  for (const stage of stages) {
    if (stage.type === "command") visitCommand(stage, [], ctx, feed, piped);
    else walk(stage, ctx, feed);
    feed = staticOutput(stage);
    piped = true;
  }
}

/** What a stage writes to its standard output, when it is a static `echo`/`printf`/here-doc `cat`. */
function staticOutput(stage: Node): string | undefined {
  let command = stage;
  let heredoc: string | undefined;
  if (stage.type === "redirected_statement") {
    const body = bodyOf(stage);
    if (body?.type !== "command") return undefined;
    command = body;
    for (const r of stage.namedChildren)
      if (r?.type === "heredoc_redirect") heredoc = heredocBody(r);
  }
  if (command.type !== "command") return undefined;
  const words = commandWords(command).map(foldWord);
  if (words.some((w) => w.dynamic)) return undefined;
  const [name, ...args] = words.map((w) => w.value);
  if (name === "cat" && args.length === 0) {
    if (heredoc !== undefined) return heredoc;
    const here = command.namedChildren.find((c) => c?.type === "herestring_redirect");
    return here ? herestringValue(here) : undefined;
  }
  if (name && PRINTERS.has(name)) {
    while (args[0] && /^-[neE]+$/.test(args[0])) args.shift();
    return args.join(" ");
  }
  return undefined;
}

function commandWords(command: Node): Node[] {
  const words: Node[] = [];
  for (const child of command.namedChildren) {
    if (!child) continue;
    if (child.type === "command_name") {
      const word = child.namedChildren[0];
      if (word) words.push(word);
    } else if (
      !isRedirect(child) &&
      child.type !== "variable_assignment" &&
      child.type !== "comment"
    ) {
      words.push(child);
    }
  }
  return words;
}

/** The statement a redirected_statement wraps (its first child that is not a redirection). */
function bodyOf(node: Node): Node | null {
  return node.namedChildren.find((c) => !isRedirect(c)) ?? null;
}

function isRedirect(node: Node): boolean {
  return (
    node.type === "file_redirect" ||
    node.type === "heredoc_redirect" ||
    node.type === "herestring_redirect"
  );
}

function heredocBody(redirect: Node): string | undefined {
  for (const child of redirect.namedChildren) if (child?.type === "heredoc_body") return child.text;
  return "";
}

function herestringValue(redirect: Node): string | undefined {
  const word = redirect.namedChildren.find((c) => c && c.type !== "file_descriptor");
  if (!word) return undefined;
  const folded = foldWord(word);
  return folded.dynamic ? undefined : folded.value;
}

function visitRedirected(node: Node, ctx: Ctx, stdinCode: string | undefined): void {
  const body = bodyOf(node);
  const redirects = node.namedChildren.filter((c) => isRedirect(c));
  if (!body) {
    for (const r of redirects) visitRedirect(r, ctx, undefined);
    return;
  }
  if (body.type === "command") {
    visitCommand(body, redirects, ctx, stdinCode, stdinCode !== undefined);
    return;
  }
  // A redirection on a compound statement applies to all of it.
  const input = stdinFromRedirects(redirects);
  walk(body, ctx, input.code ?? stdinCode);
  for (const r of redirects) visitRedirect(r, ctx, undefined);
}

function stdinFromRedirects(redirects: Node[]): { code?: string; redirected: boolean } {
  let code: string | undefined;
  let redirected = false;
  for (const r of redirects) {
    const fd = r.namedChildren.find((c) => c?.type === "file_descriptor")?.text;
    if (fd !== undefined && fd !== "0") continue;
    if (r.type === "heredoc_redirect") {
      redirected = true;
      code = heredocBody(r);
    } else if (r.type === "herestring_redirect") {
      redirected = true;
      code = herestringValue(r);
    } else if (r.type === "file_redirect" && operatorOf(r).startsWith("<")) {
      redirected = true;
      code = undefined;
    }
  }
  return code === undefined ? { redirected } : { code, redirected };
}

function operatorOf(redirect: Node): string {
  for (const child of redirect.children) if (child && !child.isNamed) return child.type;
  return "";
}

/** Records the file a redirection reads or writes, and walks substitutions inside it. */
function visitRedirect(redirect: Node, ctx: Ctx, pipeInput: string | undefined): void {
  if (redirect.type === "heredoc_redirect") {
    for (const child of redirect.namedChildren) {
      if (!child) continue;
      if (child.type === "heredoc_body") walkChildren(child, ctx, undefined);
      else if (child.type === "pipeline")
        visitPipeline(
          child.namedChildren.filter((n) => n !== null),
          ctx,
          pipeInput,
        );
      else if (isRedirect(child)) visitRedirect(child, ctx, undefined);
      else if (
        child.type !== "heredoc_start" &&
        child.type !== "heredoc_end" &&
        child.type !== "file_descriptor"
      )
        walk(child, ctx);
    }
    return;
  }
  if (redirect.type === "herestring_redirect") {
    walkChildren(redirect, ctx, undefined);
    return;
  }
  const op = operatorOf(redirect);
  const dest = redirect.namedChildren.find((c) => c?.type !== "file_descriptor");
  if (!dest) return;
  walk(dest, ctx);
  const target = foldWord(dest);
  // `>&2`, `<&0`, `>&-`: duplicating or closing a descriptor, not a file.
  if (
    (op === ">&" || op === "<&" || op === ">&-" || op === "<&-") &&
    /^(\d+-?|-)$/.test(target.value)
  )
    return;
  if (!target.dynamic && PSEUDO_FILES.has(target.value)) return;
  const kinds: FileAccessKind[] =
    op === "<>" ? ["fs.read", "fs.write"] : op.startsWith("<") ? ["fs.read"] : ["fs.write"];
  for (const kind of kinds) addFile(ctx, kind, target, op);
}

function addFile(ctx: Ctx, kind: FileAccessKind, word: Word, via: string): void {
  const { cwd } = ctx.shared;
  if (word.dynamic && word.reason === "process substitution") return; // a pipe, not a file
  let path = word.value;
  let dynamic = word.dynamic;
  if (!dynamic && !path.startsWith("/") && !path.startsWith("~")) {
    if (cwd.dynamic) dynamic = true;
    else if (cwd.prefix !== undefined) path = posix.join(cwd.prefix, path);
  }
  const access: FileAccess = { kind, path, dynamic, via, commandPath: ctx.path };
  ctx.shared.out.files.push(access);
}

function visitAssignments(node: Node, ctx: Ctx): void {
  const assignments =
    node.type === "variable_assignment"
      ? [node]
      : node.namedChildren.filter((c) => c.type === "variable_assignment");
  for (const a of assignments) {
    const effect = assignmentEffect(a, ctx);
    if (effect) ctx.shared.taint ??= effect;
  }
  walkChildren(node, ctx, undefined);
}

/** Analyses `PAGER='sh -c …'`; returns a reason when the assignment hijacks later commands. */
function assignmentEffect(assignment: Node, ctx: Ctx): string | undefined {
  const name = assignment.namedChildren[0]?.text ?? "";
  const eq = assignment.children.findIndex(
    (c) => !c.isNamed && (c.type === "=" || c.type === "+="),
  );
  const valueNode = eq >= 0 ? (assignment.children[eq + 1] ?? null) : null;
  const value = valueNode ? foldWord(valueNode) : staticWord("");
  return envEffect(name, value, ctx);
}

function envEffect(name: string, value: Word, ctx: Ctx): string | undefined {
  if (COMMAND_ENV.has(name)) {
    if (value.dynamic) return `${name} is set to a command only known at run time`;
    analyzeSource(value.value, inner(ctx, `${name}=`, ctx.errorOffset ?? 0));
    return undefined;
  }
  if (HIJACK_ENV.test(name)) return `${name} is set, which changes what runs`;
  return undefined;
}

function visitCommand(
  node: Node,
  outerRedirects: Node[],
  ctx: Ctx,
  stdinCode: string | undefined,
  piped: boolean,
): void {
  const redirects = [...outerRedirects];
  const wordNodes: Node[] = [];
  let envReason: string | undefined;
  for (const child of node.namedChildren) {
    if (!child) continue;
    if (child.type === "variable_assignment") {
      envReason ??= assignmentEffect(child, ctx);
      walkChildren(child, ctx, undefined);
    } else if (child.type === "command_name") {
      const word = child.namedChildren[0];
      if (word) wordNodes.push(word);
    } else if (isRedirect(child)) {
      redirects.push(child);
    } else if (child.type !== "comment") {
      wordNodes.push(child);
    }
  }
  const input = stdinFromRedirects(redirects);
  const words = wordNodes.map(foldWord);
  if (words.length > 0) {
    const info: CommandInfo = {
      text: node.text,
      stdinRedirected: piped || input.redirected,
      direct: true,
    };
    const code = input.code ?? stdinCode;
    if (code !== undefined) info.stdinCode = code;
    if (envReason) info.reason = envReason;
    emit(words, ctx, info);
  }
  for (const w of wordNodes) walk(w, ctx);
  const heredocFeed =
    words[0] && !words[0].dynamic && words[0].value === "cat" && words.length === 1
      ? input.code
      : undefined;
  for (const r of redirects) visitRedirect(r, ctx, heredocFeed);
}

function basename(name: string): string {
  const i = name.lastIndexOf("/");
  return i >= 0 ? name.slice(i + 1) : name;
}

/** Records one simple command, its file effects, and whatever it runs in turn. */
function emit(words: Word[], ctx: Ctx, info: CommandInfo): void {
  const name = words[0]!;
  const args = words.slice(1);
  const shared = ctx.shared;
  if (info.direct && !name.dynamic && ctx.functions.has(name.value)) return; // its body was analysed

  const dynamicArgIndexes: number[] = [];
  const argv: string[] = [];
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    argv.push(w.value);
    if (i > 0 && w.dynamic) dynamicArgIndexes.push(i);
  }
  const cmd: SimpleCommand = {
    argv,
    text: info.text,
    path: ctx.path,
    dynamic: false,
    dynamicArgs: dynamicArgIndexes.length > 0 || info.dynamicArgs === true,
    dynamicArgIndexes,
    inlineCode: false,
    remote: ctx.remote,
    wrapper: false,
  };
  const reasons: string[] = [];
  const makeDynamic = (reason: string): void => {
    cmd.dynamic = true;
    reasons.push(reason);
  };
  if (name.dynamic)
    makeDynamic(`the command name ${name.value} is only known at run time (${name.reason})`);
  if (shared.taint) makeDynamic(shared.taint);
  if (info.reason) makeDynamic(info.reason);
  shared.out.commands.push(cmd);

  if (name.dynamic) {
    finish(cmd, reasons, args);
    return;
  }
  const base = basename(name.value);

  if (info.direct && (base === "cd" || base === "pushd")) {
    const target = args.find((a) => a.dynamic || !a.value.startsWith("-") || a.value === "-");
    if (!target) shared.cwd.prefix = "~";
    else if (target.dynamic || target.value === "-") shared.cwd.dynamic = `cd ${target.value}`;
    else shared.cwd.prefix = posix.join(shared.cwd.prefix ?? "", target.value);
  }
  if (base === "env") {
    for (const a of args) {
      if (a.dynamic) break;
      const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(a.value);
      if (!m) {
        if (a.value.startsWith("-")) continue;
        break;
      }
      const reason = envEffect(m[1]!, staticWord(m[2]!), ctx);
      if (reason) makeDynamic(reason);
    }
  }

  const effect = FILE_EFFECT_BY_NAME.get(base);
  if (effect) for (const access of effect(args)) addFile(ctx, access.kind, access.word, base);

  const interpreter = interpreterName(base);
  if (interpreter) {
    const inline = INTERPRETERS[interpreter]?.(args) ?? false;
    cmd.inlineCode = inline || (info.stdinRedirected && readsProgramFromStdin(args));
  }

  const wrapper = WRAPPER_BY_NAME.get(base);
  const inners = wrapper ? wrapper(args, base) : [];
  cmd.wrapper = inners.some(
    (i) =>
      i.kind === "argv" ||
      i.kind === "code" ||
      (i.kind === "stdin-shell" && info.stdinCode !== undefined),
  );
  for (const run of inners) {
    switch (run.kind) {
      case "dynamic":
        makeDynamic(run.reason);
        break;
      case "stdin-shell":
        if (info.stdinCode !== undefined) {
          analyzeSource(info.stdinCode, inner(ctx, `${run.label} <stdin>`, ctx.errorOffset ?? 0));
        } else {
          makeDynamic(`${run.label} runs commands read from standard input`);
        }
        break;
      case "code":
        if (run.code.dynamic) {
          makeDynamic(`${run.label} runs ${run.code.value}, only known at run time`);
        } else {
          analyzeSource(
            run.code.value,
            inner(ctx, run.label, ctx.errorOffset ?? run.code.offset ?? 0, run.remote === true),
          );
        }
        break;
      case "argv": {
        const innerInfo: CommandInfo = {
          text: displayArgv(run.words.map((w) => w.value)),
          stdinRedirected: info.stdinRedirected,
          direct: false,
          dynamicArgs: run.dynamicArgs === true,
        };
        if (info.stdinCode !== undefined) innerInfo.stdinCode = info.stdinCode;
        const argvCtx = makeCtx(
          ctx,
          run.label,
          ctx.remote,
          ctx.depth + 1,
          ctx.functions,
          ctx.errorOffset,
        );
        emit(run.words, argvCtx, innerInfo);
        break;
      }
    }
  }
  finish(cmd, reasons, args);
}

function finish(cmd: SimpleCommand, reasons: string[], args: Word[]): void {
  let argReasons: string | undefined;
  for (const a of args) {
    if (!a.dynamic) continue;
    const reason = `${a.value}: ${a.reason}`;
    argReasons = argReasons === undefined ? reason : `${argReasons}; ${reason}`;
  }
  if (argReasons !== undefined) reasons.push(`arguments only known at run time (${argReasons})`);
  if (reasons.length) cmd.reason = reasons.join("; ");
}
