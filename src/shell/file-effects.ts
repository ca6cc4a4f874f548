import type { FileAccessKind } from "./types.js";
import type { Word } from "./words.js";
import { scanOptions } from "./wrappers.js";

/** A file a command reads or writes because of its arguments. */
export interface ImpliedAccess {
  kind: FileAccessKind;
  word: Word;
}

type Effect = (args: Word[]) => ImpliedAccess[];

const read = (word: Word): ImpliedAccess => ({ kind: "fs.read", word });
const write = (word: Word): ImpliedAccess => ({ kind: "fs.write", word });

function operands(args: Word[], withValue: readonly string[] = []): Word[] {
  // Options may be interleaved with operands (GNU style): collect every non-option word.
  const out: Word[] = [];
  let i = 0;
  while (i < args.length) {
    const scan = scanOptions(args, { withValue }, i);
    if (scan.index >= args.length) break;
    if (scan.index > i && args[scan.index - 1]?.value === "--" && !args[scan.index - 1]?.dynamic) {
      out.push(...args.slice(scan.index));
      break;
    }
    out.push(args[scan.index]!);
    i = scan.index + 1;
  }
  return out;
}

/** Every operand is read (`cat FILE…`). */
function readsAll(withValue: readonly string[] = []): Effect {
  return (args) => operands(args, withValue).map(read);
}

/** Every operand is written (`rm FILE…`, `tee FILE…`). */
function writesAll(withValue: readonly string[] = [], skipFirst = 0): Effect {
  return (args) => operands(args, withValue).slice(skipFirst).map(write);
}

/** `grep PATTERN FILE…`: the first operand is the pattern unless -e/-f give it. */
function patternThenFiles(withValue: readonly string[]): Effect {
  return (args) => {
    const scan = scanOptions(args, { withValue: [...withValue, "-e", "--regexp", "-f", "--file"] });
    const ops = operands(args, [...withValue, "-e", "--regexp", "-f", "--file"]);
    const patternGiven = ["-e", "--regexp", "-f", "--file"].some((o) => scan.values.has(o));
    const files = (patternGiven ? ops : ops.slice(1)).map(read);
    const patternFile = scan.values.get("-f") ?? scan.values.get("--file");
    if (patternFile) files.push(read(patternFile));
    return files;
  };
}

const copy: Effect = (args) => {
  const withValue = ["-t", "--target-directory", "-S", "--suffix"];
  const scan = scanOptions(args, { withValue });
  const ops = operands(args, withValue);
  const target = scan.values.get("-t") ?? scan.values.get("--target-directory");
  if (target) return [...ops.map(read), write(target)];
  const dst = ops.at(-1);
  if (!dst || ops.length < 2) return ops.map(read);
  return [...ops.slice(0, -1).map(read), write(dst)];
};

const move: Effect = (args) => {
  const withValue = ["-t", "--target-directory", "-S", "--suffix"];
  const scan = scanOptions(args, { withValue });
  const target = scan.values.get("-t") ?? scan.values.get("--target-directory");
  const ops = operands(args, withValue).map(write);
  return target ? [...ops, write(target)] : ops;
};

const dd: Effect = (args) => {
  const out: ImpliedAccess[] = [];
  for (const w of args) {
    if (w.value.startsWith("if="))
      out.push(read({ ...w, value: w.dynamic ? w.value : w.value.slice(3) }));
    if (w.value.startsWith("of="))
      out.push(write({ ...w, value: w.dynamic ? w.value : w.value.slice(3) }));
  }
  return out;
};

const sed: Effect = (args) => {
  const withValue = ["-e", "--expression", "-f", "--file", "-l", "--line-length"];
  const scan = scanOptions(args, { withValue, optionalAttached: ["-i"] });
  const inPlace =
    scan.values.has("-i") ||
    scan.flags.has("-i") ||
    [...scan.values.keys(), ...scan.flags].some((k) => k.startsWith("--in-place"));
  const ops = operands(args, withValue);
  const scriptGiven =
    scan.values.has("-e") ||
    scan.values.has("--expression") ||
    scan.values.has("-f") ||
    scan.values.has("--file");
  const files = scriptGiven ? ops : ops.slice(1);
  const out = files.map(inPlace ? write : read);
  const scriptFile = scan.values.get("-f") ?? scan.values.get("--file");
  if (scriptFile) out.push(read(scriptFile));
  return out;
};

const curl: Effect = (args) => {
  const out: ImpliedAccess[] = [];
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    if (w.dynamic) continue;
    const next = args[i + 1];
    const v = w.value;
    if ((v === "-o" || v === "--output") && next) out.push(write(next));
    else if (v.startsWith("--output=")) out.push(write({ value: v.slice(9), dynamic: false }));
    else if (/^-o./.test(v)) out.push(write({ value: v.slice(2), dynamic: false }));
    else if ((v === "-T" || v === "--upload-file" || v === "-K" || v === "--config") && next)
      out.push(read(next));
    else if (
      /^(-d|--data|--data-binary|--data-urlencode|-F|--form)$/.test(v) &&
      next &&
      /(^|=)@/.test(next.value)
    ) {
      out.push(
        read({
          ...next,
          value: next.dynamic ? next.value : next.value.slice(next.value.indexOf("@") + 1),
        }),
      );
    } else if (
      (v === "-c" ||
        v === "--cookie-jar" ||
        v === "-D" ||
        v === "--dump-header" ||
        v === "--trace" ||
        v === "--stderr") &&
      next
    ) {
      out.push(write(next));
    }
  }
  return out;
};

const wget: Effect = (args) => {
  const out: ImpliedAccess[] = [];
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    if (w.dynamic) continue;
    const next = args[i + 1];
    const v = w.value;
    if (
      (v === "-O" ||
        v === "--output-document" ||
        v === "-o" ||
        v === "--output-file" ||
        v === "-a" ||
        v === "--append-output") &&
      next
    )
      out.push(write(next));
    else if (/^--(output-document|output-file|append-output)=/.test(v))
      out.push(write({ value: v.slice(v.indexOf("=") + 1), dynamic: false }));
    else if (/^-O./.test(v)) out.push(write({ value: v.slice(2), dynamic: false }));
    else if (
      (v === "-i" || v === "--input-file" || v === "--post-file" || v === "--body-file") &&
      next
    )
      out.push(read(next));
  }
  return out;
};

const sort: Effect = (args) => {
  const withValue = [
    "-o",
    "--output",
    "-k",
    "--key",
    "-t",
    "--field-separator",
    "-S",
    "--buffer-size",
    "-T",
    "--temporary-directory",
  ];
  const scan = scanOptions(args, { withValue });
  const out = operands(args, withValue).map(read);
  const o = scan.values.get("-o") ?? scan.values.get("--output");
  if (o) out.push(write(o));
  return out;
};

const HEAD_TAIL = ["-n", "--lines", "-c", "--bytes", "-s", "--sleep-interval", "--pid"];

/**
 * Commands whose arguments name files they read or write. Add a command here with an Effect that
 * maps its arguments to accesses; `operands` skips options (list the ones taking a value).
 */
export const FILE_EFFECTS: Record<string, Effect> = {
  cat: readsAll(),
  tac: readsAll(),
  nl: readsAll(),
  less: readsAll(),
  more: readsAll(),
  head: readsAll(HEAD_TAIL),
  tail: readsAll(HEAD_TAIL),
  grep: patternThenFiles([
    "-A",
    "-B",
    "-C",
    "-m",
    "--max-count",
    "--include",
    "--exclude",
    "--label",
  ]),
  egrep: patternThenFiles(["-A", "-B", "-C", "-m"]),
  fgrep: patternThenFiles(["-A", "-B", "-C", "-m"]),
  rg: patternThenFiles(["-A", "-B", "-C", "-m", "-g", "--glob", "-t", "--type", "-T"]),
  wc: readsAll(),
  base64: readsAll(["-w", "--wrap"]),
  xxd: readsAll(["-c", "-g", "-l", "-s"]),
  od: readsAll(["-A", "-j", "-N", "-t", "-w"]),
  strings: readsAll(["-n", "-t"]),
  source: (args) => (args[0] ? [read(args[0])] : []),
  ".": (args) => (args[0] ? [read(args[0])] : []),
  diff: readsAll(),
  sort,
  uniq: (args) => {
    const ops = operands(args, ["-f", "-s", "-w"]);
    return [...ops.slice(0, 1).map(read), ...ops.slice(1, 2).map(write)];
  },
  tee: writesAll(),
  cp: copy,
  mv: move,
  install: copy,
  ln: (args) => {
    const ops = operands(args, ["-t", "--target-directory", "-S", "--suffix"]);
    return ops.length >= 2 ? [write(ops.at(-1)!)] : [];
  },
  dd,
  sed,
  curl,
  wget,
  rm: writesAll(),
  rmdir: writesAll(),
  shred: writesAll(["-n", "--iterations", "-s", "--size"]),
  unlink: writesAll(),
  touch: writesAll(["-d", "--date", "-r", "--reference", "-t"]),
  mkdir: writesAll(["-m", "--mode"]),
  truncate: writesAll(["-s", "--size", "-r", "--reference"]),
  chmod: writesAll(["--reference"], 1),
  chown: writesAll(["--reference", "--from"], 1),
  chgrp: writesAll(["--reference"], 1),
};
