import { staticWord, type Word } from "./words.js";

/** What a wrapper command runs. */
export type Inner =
  /** Another command given as words (`sudo rm -rf /` → `rm -rf /`). */
  | { kind: "argv"; words: Word[]; label: string; dynamicArgs?: boolean }
  /** A string run by a shell (`bash -c '…'`, `eval`, `git -c core.pager=…`). */
  | { kind: "code"; code: Word; label: string; remote?: boolean }
  /** A shell with no script: it runs whatever arrives on standard input. */
  | { kind: "stdin-shell"; label: string }
  /** The wrapper runs something that cannot be known before it runs. */
  | { kind: "dynamic"; reason: string };

type Wrapper = (args: Word[], name: string) => Inner[];

interface Scan {
  /** Index of the first word after the options. */
  index: number;
  /** Values of options, by option name as written (`-u`, `--user`). */
  values: Map<string, Word>;
  /** Flags seen without values (short flags split: `-lc` → `-l`, `-c`). */
  flags: Set<string>;
  /** A dynamic word where an option was possible: the command start is unknown. */
  dynamic?: string;
}

interface ScanSpec {
  /** Options that take a value (`-u`, `--user`). Long options also accept `--user=NAME`. */
  withValue?: readonly string[];
  /** Short options whose value is optional and only attached (`-i.bak`). */
  optionalAttached?: readonly string[];
  /** Stop at `--`? (default true) */
  doubleDash?: boolean;
  /** Treat words starting with `+` as options too (shells). */
  plus?: boolean;
}

const NONE: readonly string[] = [];

/** Skips the options of a wrapper and returns where its operands start. */
export function scanOptions(args: readonly Word[], spec: ScanSpec, from = 0): Scan {
  // Short lists: `includes` costs less than building a Set on every call.
  const withValue = spec.withValue ?? NONE;
  const optionalAttached = spec.optionalAttached ?? NONE;
  const values = new Map<string, Word>();
  const flags = new Set<string>();
  let i = from;
  while (i < args.length) {
    const arg = args[i]!;
    if (arg.dynamic) {
      return {
        index: i,
        values,
        flags,
        dynamic: `option or command ${arg.value} is only known at run time`,
      };
    }
    const a = arg.value;
    if (a === "--" && spec.doubleDash !== false) return { index: i + 1, values, flags };
    if (a.startsWith("--")) {
      const eq = a.indexOf("=");
      if (eq > 0) {
        values.set(a.slice(0, eq), staticWord(a.slice(eq + 1)));
        i++;
      } else if (withValue.includes(a)) {
        const v = args[i + 1];
        if (v) values.set(a, v);
        i += 2;
      } else {
        flags.add(a);
        i++;
      }
      continue;
    }
    const isOption = a.length > 1 && (a[0] === "-" || (spec.plus === true && a[0] === "+"));
    if (!isOption) break;
    let consumedNext = false;
    for (let k = 1; k < a.length; k++) {
      const opt = `${a[0]}${a[k]}`;
      if (withValue.includes(opt)) {
        const rest = a.slice(k + 1);
        if (rest !== "") values.set(opt, staticWord(rest));
        else {
          const v = args[i + 1];
          if (v) values.set(opt, v);
          consumedNext = true;
        }
        break;
      }
      if (optionalAttached.includes(opt)) {
        values.set(opt, staticWord(a.slice(k + 1)));
        break;
      }
      flags.add(opt);
    }
    i += consumedNext ? 2 : 1;
  }
  return { index: i, values, flags };
}

function argvFrom(args: Word[], scan: Scan, label: string, dynamicArgs = false): Inner[] {
  if (scan.dynamic) return [{ kind: "dynamic", reason: `${label}: ${scan.dynamic}` }];
  const words = args.slice(scan.index);
  if (words.length === 0) return [];
  return [{ kind: "argv", words, label, dynamicArgs }];
}

/** Joins words the way `eval` or `ssh` do (space-separated) into one code string. */
export function joinWords(words: readonly Word[]): Word {
  const dyn = words.find((w) => w.dynamic);
  const value = words.map((w) => w.value).join(" ");
  if (dyn) return { value, dynamic: true, reason: dyn.reason ?? "dynamic word" };
  return staticWord(value);
}

/** Simple "options then command" wrappers. */
function simple(spec: ScanSpec): Wrapper {
  return (args, name) => argvFrom(args, scanOptions(args, spec), name);
}

export const SHELLS = new Set([
  "sh",
  "bash",
  "zsh",
  "dash",
  "ksh",
  "mksh",
  "ash",
  "yash",
  "posh",
  "fish",
  "rbash",
]);

const shell: Wrapper = (args, name) => {
  const scan = scanOptions(args, {
    withValue: ["-o", "+o", "-O", "+O", "--rcfile", "--init-file"],
    plus: true,
  });
  if (scan.dynamic) return [{ kind: "dynamic", reason: `${name}: ${scan.dynamic}` }];
  if (scan.flags.has("-c") || scan.flags.has("--command")) {
    const code = scan.values.get("--command") ?? args[scan.index];
    if (!code) return [];
    return [{ kind: "code", code, label: `${name} -c` }];
  }
  if (scan.index < args.length && !scan.flags.has("-s")) return []; // runs a script file
  return [{ kind: "stdin-shell", label: name }];
};

const env: Wrapper = (args) => {
  const scan = scanOptions(args, {
    withValue: ["-u", "--unset", "-C", "--chdir", "-S", "--split-string", "-P", "-a", "--argv0"],
  });
  if (scan.dynamic) return [{ kind: "dynamic", reason: `env: ${scan.dynamic}` }];
  const split = scan.values.get("-S") ?? scan.values.get("--split-string");
  let i = scan.index;
  while (i < args.length && !args[i]!.dynamic && /^[A-Za-z_][A-Za-z0-9_]*=/.test(args[i]!.value)) {
    i++;
  }
  if (args[i]?.dynamic) {
    return [
      { kind: "dynamic", reason: `env: ${args[i]!.value} may be an assignment or the command` },
    ];
  }
  const rest = args.slice(i);
  if (split) {
    return [{ kind: "code", code: joinWords([split, ...rest]), label: "env -S" }];
  }
  if (rest.length === 0) return [];
  return [{ kind: "argv", words: rest, label: "env" }];
};

const sudo: Wrapper = (args, name) => {
  const scan = scanOptions(args, {
    withValue: [
      "-u",
      "--user",
      "-g",
      "--group",
      "-C",
      "--close-from",
      "-D",
      "--chdir",
      "-h",
      "--host",
      "-p",
      "--prompt",
      "-r",
      "--role",
      "-t",
      "--type",
      "-T",
      "--command-timeout",
      "-U",
      "--other-user",
      "-R",
      "--chroot",
    ],
  });
  if (scan.dynamic) return [{ kind: "dynamic", reason: `${name}: ${scan.dynamic}` }];
  const rest = args.slice(scan.index);
  const viaShell =
    scan.flags.has("-s") ||
    scan.flags.has("--shell") ||
    scan.flags.has("-i") ||
    scan.flags.has("--login");
  if (viaShell) {
    if (rest.length === 0) return [{ kind: "stdin-shell", label: `${name} -s` }];
    return [{ kind: "code", code: joinWords(rest), label: `${name} -s` }];
  }
  if (rest.length === 0) return [];
  return [{ kind: "argv", words: rest, label: name }];
};

const doas = simple({ withValue: ["-u", "-C"] });

const su: Wrapper = (args, name) => {
  const scan = scanOptions(args, {
    withValue: ["-c", "--command", "-s", "--shell", "-g", "--group", "-G", "--supp-group", "-w"],
  });
  const code = scan.values.get("-c") ?? scan.values.get("--command");
  if (code) return [{ kind: "code", code, label: `${name} -c` }];
  if (scan.dynamic) return [{ kind: "dynamic", reason: `${name}: ${scan.dynamic}` }];
  return [{ kind: "stdin-shell", label: name }];
};

const timeout: Wrapper = (args) => {
  const scan = scanOptions(args, { withValue: ["-s", "--signal", "-k", "--kill-after"] });
  if (scan.dynamic) return [{ kind: "dynamic", reason: `timeout: ${scan.dynamic}` }];
  return argvFrom(args, { ...scan, index: scan.index + 1 }, "timeout");
};

const nice: Wrapper = (args) => {
  // `nice -n 5 cmd`, `nice -5 cmd`, `nice --adjustment=5 cmd`
  let from = 0;
  if (args[0] && !args[0].dynamic && /^-\d+$/.test(args[0].value)) from = 1;
  return argvFrom(args, scanOptions(args, { withValue: ["-n", "--adjustment"] }, from), "nice");
};

const xargs: Wrapper = (args) => {
  const scan = scanOptions(args, {
    withValue: [
      "-a",
      "--arg-file",
      "-d",
      "--delimiter",
      "-E",
      "-I",
      "-L",
      "--max-lines",
      "-n",
      "--max-args",
      "-P",
      "--max-procs",
      "-s",
      "--max-chars",
      "--process-slot-var",
    ],
    optionalAttached: ["-e", "-i", "-l"],
  });
  if (scan.dynamic) return [{ kind: "dynamic", reason: `xargs: ${scan.dynamic}` }];
  // With no command, xargs runs echo.
  const words = scan.index < args.length ? args.slice(scan.index) : [staticWord("echo")];
  // Input read at run time either replaces a string (-I, -i, --replace) or is appended; either
  // way those words are dynamic, so `xargs cat` is seen reading files nobody can name yet.
  const replace =
    scan.values.get("-I")?.value ??
    (scan.values.has("-i") || scan.flags.has("--replace")
      ? scan.values.get("-i")?.value || "{}"
      : scan.values.get("--replace")?.value);
  const reason = "arguments xargs reads from its input at run time";
  const inner =
    replace === undefined
      ? [...words, { value: "{arguments read at run time}", dynamic: true, reason }]
      : words.map((w, i) =>
          i > 0 && !w.dynamic && w.value.includes(replace) ? { ...w, dynamic: true, reason } : w,
        );
  return [{ kind: "argv", words: inner, label: "xargs", dynamicArgs: true }];
};

const PARALLEL_SEPARATORS = new Set([":::", "::::", ":::+", "::::+"]);

const parallel: Wrapper = (args) => {
  const scan = scanOptions(args, {
    withValue: [
      "-j",
      "--jobs",
      "-P",
      "--max-procs",
      "-S",
      "--sshlogin",
      "-a",
      "--arg-file",
      "-d",
      "--delimiter",
      "-E",
      "-I",
      "--replace",
      "-L",
      "-n",
      "--max-args",
      "--joblog",
      "--results",
      "--tmpdir",
      "--colsep",
      "-C",
      "--timeout",
      "--delay",
      "--retries",
      "--env",
      "--basefile",
      "--workdir",
      "--tagstring",
    ],
  });
  if (scan.dynamic) return [{ kind: "dynamic", reason: `parallel: ${scan.dynamic}` }];
  const words: Word[] = [];
  for (const w of args.slice(scan.index)) {
    if (!w.dynamic && PARALLEL_SEPARATORS.has(w.value)) break;
    words.push(w);
  }
  if (words.length === 0)
    return [{ kind: "dynamic", reason: "parallel reads the commands to run from its input" }];
  // parallel runs its command through a shell, with its arguments put in place of a
  // replacement string (`{}`, `{.}`, `{/}`, `{1}`…) or appended: stand-ins keep them dynamic.
  const code = joinWords(words);
  const ARGUMENT = /\{(?:\.|\/|\/\/|\/\.|#|%|\d+)?\}/g;
  const withArgs = ARGUMENT.test(code.value)
    ? code.value.replace(ARGUMENT, "$PARALLEL_ARGUMENT")
    : `${code.value} $PARALLEL_ARGUMENTS`;
  return [{ kind: "code", code: { ...code, value: withArgs }, label: "parallel" }];
};

const FIND_EXEC = new Set(["-exec", "-execdir", "-ok", "-okdir"]);

const find: Wrapper = (args) => {
  const out: Inner[] = [];
  for (let i = 0; i < args.length; i++) {
    const w = args[i]!;
    if (w.dynamic || !FIND_EXEC.has(w.value)) continue;
    const words: Word[] = [];
    let j = i + 1;
    for (; j < args.length; j++) {
      const t = args[j]!;
      if (!t.dynamic && (t.value === ";" || t.value === "+")) break;
      // `{}` stands for each file found: only known at run time.
      words.push(
        !t.dynamic && t.value.includes("{}")
          ? { ...t, dynamic: true, reason: "file found by find" }
          : t,
      );
    }
    if (words.length)
      out.push({ kind: "argv", words, label: `find ${w.value}`, dynamicArgs: true });
    i = j;
  }
  for (const w of args) {
    if (w.dynamic) continue;
    if (w.value === "-delete")
      out.push({
        kind: "argv",
        words: [staticWord("rm")],
        label: "find -delete",
        dynamicArgs: true,
      });
  }
  return out;
};

/** Git configuration keys whose value is a command run through a shell. */
const GIT_COMMAND_KEYS = [
  /^core\.(pager|sshcommand|editor|askpass|fsmonitor|gitproxy|hookspath)$/,
  /^sequence\.editor$/,
  /^diff\.external$/,
  /^diff\..+\.(textconv|command)$/,
  /^difftool\..+\.cmd$/,
  /^mergetool\..+\.cmd$/,
  /^merge\..+\.driver$/,
  /^filter\..+\.(clean|smudge|process)$/,
  /^gpg(\..+)?\.program$/,
  /^credential(\..+)?\.helper$/,
  /^pager\..+$/,
  /^uploadpack\.packobjectshook$/,
  /^remote\..+\.(uploadpack|receivepack)$/,
  /^sendemail\..*(tocmd|cccmd|sendmailcmd)$/,
  /^man\..+\.cmd$/,
  /^web\.browser$/,
  /^browser\..+\.cmd$/,
  /^include(if\..+)?\.path$/,
];

function gitConfig(setting: Word): Inner[] {
  if (setting.dynamic) {
    return [
      { kind: "dynamic", reason: `git -c ${setting.value}: configuration only known at run time` },
    ];
  }
  const eq = setting.value.indexOf("=");
  const key = (eq < 0 ? setting.value : setting.value.slice(0, eq)).toLowerCase();
  const value = eq < 0 ? "" : setting.value.slice(eq + 1);
  const label = `git -c ${key}`;
  if (key.startsWith("alias.")) {
    if (value.startsWith("!")) return [{ kind: "code", code: staticWord(value.slice(1)), label }];
    return [];
  }
  if (key === "core.hookspath" || key.startsWith("include")) {
    return [
      {
        kind: "dynamic",
        reason: `${label} makes git run hooks or read configuration from ${value}`,
      },
    ];
  }
  if (GIT_COMMAND_KEYS.some((re) => re.test(key)) && value !== "") {
    return [{ kind: "code", code: staticWord(value), label }];
  }
  return [];
}

const git: Wrapper = (args) => {
  const out: Inner[] = [];
  let i = 0;
  const withValue = new Set([
    "-C",
    "-c",
    "--git-dir",
    "--work-tree",
    "--namespace",
    "--config-env",
    "--exec-path",
    "--super-prefix",
    "--list-cmds",
    "--attr-source",
  ]);
  while (i < args.length) {
    const w = args[i]!;
    if (w.dynamic) {
      out.push({
        kind: "dynamic",
        reason: `git: option or subcommand ${w.value} is only known at run time`,
      });
      return out;
    }
    const a = w.value;
    if (!a.startsWith("-")) break;
    if (a === "-c") {
      const setting = args[i + 1];
      if (setting) out.push(...gitConfig(setting));
      i += 2;
      continue;
    }
    if (a.startsWith("--config-env") || a.startsWith("--exec-path")) {
      out.push({ kind: "dynamic", reason: `git ${a} changes what git runs` });
    }
    if (withValue.has(a)) i += 2;
    else i++;
  }
  const sub = args[i];
  if (!sub) return out;
  const rest = args.slice(i + 1);
  switch (sub.value) {
    case "rebase": {
      const scan = scanOptions(rest, {
        withValue: ["-x", "--exec", "-s", "--strategy", "-X", "--onto", "-C"],
      });
      const code = scan.values.get("-x") ?? scan.values.get("--exec");
      if (code) out.push({ kind: "code", code, label: "git rebase --exec" });
      break;
    }
    case "bisect":
      if (rest[0]?.value === "run" && rest.length > 1) {
        out.push({ kind: "argv", words: rest.slice(1), label: "git bisect run" });
      }
      break;
    case "submodule": {
      const k = rest.findIndex((w) => w.value === "foreach");
      if (k >= 0) {
        const words = rest
          .slice(k + 1)
          .filter(
            (w) =>
              w.dynamic || (w.value !== "--recursive" && w.value !== "-q" && w.value !== "--quiet"),
          );
        if (words.length)
          out.push({ kind: "code", code: joinWords(words), label: "git submodule foreach" });
      }
      break;
    }
    case "difftool":
    case "mergetool": {
      const scan = scanOptions(rest, { withValue: ["-x", "--extcmd", "-t", "--tool"] });
      const code = scan.values.get("-x") ?? scan.values.get("--extcmd");
      if (code) out.push({ kind: "code", code, label: `git ${sub.value} --extcmd` });
      break;
    }
    case "filter-branch":
    case "filter-repo": {
      for (let k = 0; k < rest.length - 1; k++) {
        const o = rest[k]!;
        if (!o.dynamic && /^--.*(filter|callback)$/.test(o.value)) {
          out.push({ kind: "code", code: rest[k + 1]!, label: `git ${sub.value} ${o.value}` });
        }
      }
      break;
    }
  }
  return out;
};

const SSH_WITH_VALUE = [
  "-b",
  "-B",
  "-c",
  "-D",
  "-E",
  "-e",
  "-F",
  "-I",
  "-i",
  "-J",
  "-L",
  "-l",
  "-m",
  "-O",
  "-o",
  "-p",
  "-P",
  "-Q",
  "-R",
  "-S",
  "-W",
  "-w",
];

const ssh: Wrapper = (args) => {
  const out: Inner[] = [];
  // Options may also follow the host; collect -o settings wherever they are.
  for (let k = 0; k < args.length - 1; k++) {
    const w = args[k]!;
    if (w.dynamic) continue;
    let opt: string | undefined;
    if (w.value === "-o") opt = args[k + 1]!.dynamic ? undefined : args[k + 1]!.value;
    else if (w.value.startsWith("-o")) opt = w.value.slice(2);
    if (opt === undefined) continue;
    const m =
      /^\s*(proxycommand|localcommand|knownhostscommand|remotecommand)\s*[= ]\s*(.*)$/i.exec(opt);
    if (m) {
      const key = m[1]!.toLowerCase();
      if (key !== "remotecommand")
        out.push({ kind: "code", code: staticWord(m[2]!), label: `ssh -o ${m[1]}` });
      else out.push({ kind: "code", code: staticWord(m[2]!), label: "ssh host", remote: true });
    }
  }
  const scan = scanOptions(args, { withValue: SSH_WITH_VALUE });
  if (scan.dynamic) return [...out, { kind: "dynamic", reason: `ssh: ${scan.dynamic}` }];
  const host = args[scan.index];
  if (!host) return out;
  const rest = scanOptions(args, { withValue: SSH_WITH_VALUE }, scan.index + 1);
  const words = args.slice(rest.index);
  if (words.length) {
    out.push({ kind: "code", code: joinWords(words), label: `ssh ${host.value}`, remote: true });
  }
  return out;
};

const watch: Wrapper = (args) => {
  const scan = scanOptions(args, {
    withValue: ["-n", "--interval", "-d", "-q", "--equexit"],
    optionalAttached: [],
  });
  if (scan.dynamic) return [{ kind: "dynamic", reason: `watch: ${scan.dynamic}` }];
  const words = args.slice(scan.index);
  if (!words.length) return [];
  if (scan.flags.has("-x") || scan.flags.has("--exec"))
    return [{ kind: "argv", words, label: "watch -x" }];
  return [{ kind: "code", code: joinWords(words), label: "watch" }];
};

const script: Wrapper = (args) => {
  const scan = scanOptions(args, {
    withValue: [
      "-c",
      "--command",
      "-E",
      "--echo",
      "-I",
      "-O",
      "-B",
      "-T",
      "-m",
      "-o",
      "--log-in",
      "--log-out",
      "--log-io",
      "--log-timing",
    ],
  });
  const code = scan.values.get("-c") ?? scan.values.get("--command");
  if (code) return [{ kind: "code", code, label: "script -c" }];
  if (scan.dynamic) return [{ kind: "dynamic", reason: `script: ${scan.dynamic}` }];
  return [{ kind: "stdin-shell", label: "script" }];
};

const flock: Wrapper = (args) => {
  const scan = scanOptions(args, {
    withValue: ["-w", "--timeout", "-E", "--conflict-exit-code", "-c", "--command"],
  });
  const code = scan.values.get("-c") ?? scan.values.get("--command");
  if (code) return [{ kind: "code", code, label: "flock -c" }];
  if (scan.dynamic) return [{ kind: "dynamic", reason: `flock: ${scan.dynamic}` }];
  // flock LOCKFILE COMMAND… ; after the lock file, -c may still come.
  const after = args.slice(scan.index + 1);
  if (
    !after[0]?.dynamic &&
    (after[0]?.value === "-c" || after[0]?.value === "--command") &&
    after[1]
  ) {
    return [{ kind: "code", code: after[1], label: "flock -c" }];
  }
  return after.length ? [{ kind: "argv", words: after, label: "flock" }] : [];
};

const chroot: Wrapper = (args) => {
  const scan = scanOptions(args, { withValue: ["--userspec", "--groups"] });
  if (scan.dynamic) return [{ kind: "dynamic", reason: `chroot: ${scan.dynamic}` }];
  const after = args.slice(scan.index + 1);
  if (!after.length) return [{ kind: "stdin-shell", label: "chroot" }];
  return [{ kind: "argv", words: after, label: "chroot" }];
};

const busybox: Wrapper = (args) => {
  if (!args.length) return [];
  return [{ kind: "argv", words: args, label: "busybox" }];
};

const exec: Wrapper = (args) => argvFrom(args, scanOptions(args, { withValue: ["-a"] }), "exec");

const command: Wrapper = (args) => {
  const scan = scanOptions(args, {});
  if (scan.flags.has("-v") || scan.flags.has("-V")) return []; // only looks the name up
  return argvFrom(args, scan, "command");
};

const evalWrapper: Wrapper = (args) =>
  args.length ? [{ kind: "code", code: joinWords(args), label: "eval" }] : [];

const trap: Wrapper = (args) => {
  const first = args[0];
  if (
    !first ||
    (!first.dynamic && (first.value === "-p" || first.value === "-l" || first.value === "-"))
  )
    return [];
  if (args.length === 1) return []; // `trap SIGNAL` resets
  return [{ kind: "code", code: first, label: "trap" }];
};

const alias: Wrapper = (args) => {
  const out: Inner[] = [];
  for (const w of args) {
    if (w.dynamic) {
      out.push({ kind: "dynamic", reason: `alias ${w.value} is only known at run time` });
      continue;
    }
    const eq = w.value.indexOf("=");
    if (eq > 0)
      out.push({
        kind: "code",
        code: staticWord(w.value.slice(eq + 1)),
        label: `alias ${w.value.slice(0, eq)}`,
      });
  }
  return out;
};

/** Wrappers by command name (basename of argv[0]). */
export const WRAPPERS: Record<string, Wrapper> = {
  env,
  sudo,
  doas,
  su,
  runuser: su,
  nohup: simple({}),
  timeout,
  nice,
  ionice: simple({
    withValue: ["-c", "--class", "-n", "--classdata", "-p", "--pid", "-P", "--pgid", "-u", "--uid"],
  }),
  time: simple({ withValue: ["-f", "--format", "-o", "--output"] }),
  stdbuf: simple({ withValue: ["-i", "--input", "-o", "--output", "-e", "--error"] }),
  xargs,
  parallel,
  find,
  git,
  ssh,
  watch,
  script,
  flock,
  chroot,
  unshare: simple({
    withValue: [
      "-S",
      "--setuid",
      "-G",
      "--setgid",
      "-R",
      "--root",
      "-w",
      "--wd",
      "--map-user",
      "--map-group",
      "--map-users",
      "--map-groups",
      "--propagation",
    ],
  }),
  nsenter: simple({
    withValue: ["-t", "--target", "-S", "--setuid", "-G", "--setgid", "-R", "--root", "-w", "--wd"],
  }),
  setsid: simple({}),
  busybox,
  exec,
  command,
  builtin: (args) => argvFrom(args, { index: 0, values: new Map(), flags: new Set() }, "builtin"),
  eval: evalWrapper,
  trap,
  alias,
  caffeinate: simple({ withValue: ["-t", "-w"] }),
  taskset: (args) =>
    argvFrom(args, { ...scanOptions(args, {}), index: scanOptions(args, {}).index + 1 }, "taskset"),
  strace: simple({ withValue: ["-e", "-o", "-p", "-s", "-u", "-E", "-P", "-I", "-b", "-a", "-X"] }),
  ltrace: simple({ withValue: ["-e", "-o", "-p", "-s", "-u", "-n", "-a"] }),
  catchsegv: simple({}),
  fakeroot: simple({ withValue: ["-l", "--lib", "--faked", "-s", "-i"] }),
  firejail: simple({}),
  proxychains: simple({ withValue: ["-f"] }),
  proxychains4: simple({ withValue: ["-f"] }),
  torsocks: simple({ withValue: ["-u", "-p", "-a", "-P"] }),
  "dbus-launch": simple({}),
  "systemd-run": simple({
    withValue: [
      "-u",
      "--unit",
      "-p",
      "--property",
      "-M",
      "--machine",
      "-E",
      "--setenv",
      "--working-directory",
      "--uid",
      "--gid",
      "--nice",
      "--slice",
      "-H",
      "--host",
      "--description",
    ],
  }),
};
for (const name of SHELLS) WRAPPERS[name] = shell;
