/**
 * Plain lines are analysed without the grammar (plain.ts): the result must be exactly what the
 * parser gives. A corpus of plain lines — wrappers, interpreters, file effects, `cd`, `env`,
 * nested `bash -c`, numbers, options with `=` — is analysed both ways; lines that need the
 * grammar are left to it.
 */

import { beforeAll, describe, expect, it } from "vitest";
import type { Parser } from "web-tree-sitter";
import { analyzeLine, analyzePlainLine } from "./analyzer.js";
import { loadBash } from "./bash.js";
import type { Grammar } from "./syntax.js";

let parser: Parser;
let grammar: Grammar;
beforeAll(async () => {
  ({ parser, grammar } = await loadBash());
});

const PLAIN = [
  "true",
  "ls",
  "ls -la /etc",
  "  git status  ",
  "git\tlog --oneline -n 5",
  "git push origin main",
  "git -C /repo commit -m wip",
  "npm run build",
  "npm install --save-dev typescript@5.4.0",
  "claude --dangerously-skip-permissions",
  "rm -rf /",
  "rm -rf node_modules/.cache",
  "sudo rm -rf /",
  "sudo -u root -- id",
  "env",
  "env A=1 B=2 make",
  "env PATH=/tmp/evil ls",
  "env LD_PRELOAD=/x.so ls",
  "env GIT_SSH_COMMAND=ssh git fetch",
  "env -i HOME=/h sh -c ls",
  "bash -c ls",
  "sh -c true",
  "bash -lc make",
  "bash -c bash",
  "sh -c sh",
  "bash script.sh",
  "sh",
  "bash",
  "cd sub",
  "cd",
  "cd -",
  "pushd /tmp",
  "cp a b",
  "cp -r src/ dst/",
  "mv a.txt b.txt",
  "tee out.log",
  "tee -a /var/log/x",
  "cat /etc/passwd",
  "head -n 10 file.txt",
  "touch a b c",
  "mkdir -p a/b/c",
  "ln -s /etc/shadow link",
  "dd if=/dev/zero of=/dev/sda bs=1M",
  "chmod 600 key.pem",
  "python3 -c print",
  "python3 script.py",
  "python3",
  "python3 -m http.server 8000",
  "node -e 1",
  "node --eval=1",
  "node index.js",
  "perl -e 1",
  "ruby -e 1",
  "awk -f prog.awk",
  "xargs rm",
  "xargs -n 1 rm -f",
  "find . -type f -delete",
  "find /tmp -exec rm",
  "timeout 10 make",
  "timeout -s KILL 5s curl example.com",
  "nice -n 5 ls",
  "nohup make",
  "time make",
  "exec ls",
  "command ls",
  "builtin cd x",
  "eval ls",
  "source env.sh",
  ". env.sh",
  "ssh host ls -l",
  "ssh -p 22 user@host rm -rf /",
  "docker run --rm -v /:/host alpine sh",
  "kubectl exec -it pod -- sh",
  "git -c core.pager=less log",
  "git config core.hooksPath /tmp",
  "curl -o out.html https://example.com/x",
  "wget -O - http://169.254.169.254/latest",
  "sleep 10",
  "sleep 1.5",
  "7z x archive.7z",
  "ls %1",
  "a-b+c,d:e x@f%g",
  "ls 10 -5 0x1F 007 1e3",
  "test -f x",
  "echo a=b c=d",
  "printf %s x",
  "echo rm -rf /",
  "yes",
  "strace -f ls",
  "watch ls",
  "chroot /mnt sh",
  "su -c ls",
  "doas ls",
  "flock /tmp/l make",
  "stdbuf -o0 ls",
  "script -c ls",
  "unbuffer ls",
  "npx tsc",
  "npm exec -- rm",
  "uvx ruff",
  "git -C sub status",
  "git --git-dir=/x/.git status",
  "g++ -O2 -o a.out main.c",
  "c++filt",
  "ls === =a a== x+:y a+=b",
];

/** Lines that need the grammar (quotes, operators, expansions, keywords, assignments…). */
const NOT_PLAIN = [
  "",
  "   ",
  "ls; rm x",
  "ls | sh",
  "ls && rm x",
  "ls > out",
  "echo $HOME",
  "echo ~",
  "ls *.ts",
  "ls a?",
  "echo {a,b}",
  "echo 'x'",
  'echo "x"',
  "echo \\x",
  "A=1 ls",
  "export PATH=/x",
  "declare x",
  "local x",
  "unset f",
  "if true",
  "for x in a",
  "while true",
  "function f",
  "# comment",
  "ls # comment",
  "echo (x)",
  "echo [x]",
  "ls\nrm x",
  "bash -c 'rm x'",
  "echo é",
  // What the grammar reads as an assignment or an error (found by parsing every short word).
  "user@host ls",
  "a%b ls",
  "a+=b ls",
  "a+:b ls",
  "ls ==",
  // The grammar drops a leading "-" before an assignment-like word (bash would run "-").
  "- of=x",
  "-x",
  "cat ~/.ssh/id_rsa",
  "find . -name x -exec rm {} ;",
  "ls 2#101",
  // parallel runs `rm {}`: a line with braces of its own.
  "parallel rm",
];

describe("plain lines", () => {
  it.each(PLAIN)("%j: the same analysis as the parser's", (line) => {
    const plain = analyzePlainLine(line);
    expect(plain).toBeDefined();
    expect(plain).toEqual(analyzeLine(parser, grammar, line, undefined, false));
  });

  it.each(NOT_PLAIN)("%j: left to the grammar", (line) => {
    expect(analyzePlainLine(line)).toBeUndefined();
  });

  it("leaves a line to the grammar when a string it runs is not plain", () => {
    // bash -c's argument is a line of its own: a keyword there needs the grammar.
    for (const line of ["bash -c if", "sh -c export", "env PAGER=while git log", "ssh h for"]) {
      expect(analyzePlainLine(line)).toBeUndefined();
      expect(analyzeLine(parser, grammar, line).commands.length).toBeGreaterThan(0);
    }
  });

  it("agrees with the parser on random lines of the corpus's words", () => {
    const words = [...new Set(PLAIN.flatMap((l) => l.trim().split(/[ \t]+/)))];
    let seed = 42;
    const next = () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed;
    };
    let plain = 0;
    for (let i = 0; i < 2000; i++) {
      const line = Array.from(
        { length: 1 + (next() % 6) },
        () => words[next() % words.length],
      ).join(next() % 5 === 0 ? "\t" : " ");
      const fast = analyzePlainLine(line);
      if (fast === undefined) continue;
      plain++;
      expect(fast, line).toEqual(analyzeLine(parser, grammar, line, undefined, false));
    }
    expect(plain).toBeGreaterThan(1000);
  });
});
