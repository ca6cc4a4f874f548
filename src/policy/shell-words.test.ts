import { describe, expect, it } from "vitest";
import { ShellSyntaxError, splitShellWords } from "./shell-words.js";

const words = (command: string) =>
  splitShellWords(command).segments.map((s) => s.map((w) => w.text));

describe("splitShellWords", () => {
  it("splits on blanks and keeps quoted spaces", () => {
    expect(words(`git   commit -m "fix: a b"  'x y'`)).toEqual([
      ["git", "commit", "-m", "fix: a b", "x y"],
    ]);
  });

  it("handles backslash escapes outside and inside double quotes", () => {
    expect(words(`echo a\\ b "c\\"d" "e\\f" 'g\\h'`)).toEqual([
      ["echo", "a b", 'c"d', "e\\f", "g\\h"],
    ]);
  });

  it("joins adjacent quoted parts into one word", () => {
    expect(words(`echo pre"mid"'post'`)).toEqual([["echo", "premidpost"]]);
  });

  it("keeps empty quoted words", () => {
    expect(words(`printf '' x`)).toEqual([["printf", "", "x"]]);
  });

  it("marks quoted words so patterns treat them literally", () => {
    const [seg] = splitShellWords(`rm '*' *`).segments;
    expect(seg?.map((w) => w.quoted)).toEqual([false, true, false]);
  });

  it.each([
    [`echo 'unterminated`, /single quote/],
    [`echo "unterminated`, /double quote/],
    [`echo trailing\\`, /backslash/],
  ])("rejects %s", (command, message) => {
    expect(() => splitShellWords(command)).toThrow(ShellSyntaxError);
    expect(() => splitShellWords(command)).toThrow(message);
  });

  it.each([
    ["a; b", ";"],
    ["a && b", "&&"],
    ["a || b", "||"],
    ["a | b", "|"],
    ["a & b", "&"],
    ["echo $(id)", "$("],
    ["echo `id`", "`"],
    ["echo hi > f", ">"],
    ["cat < f", "<"],
    ["echo $HOME", "$"],
    [`echo "$(id)"`, "$("],
    ["a\nb", "newline"],
    ["ls # comment", "#"],
  ])("notices the operator in %j", (command, op) => {
    expect(splitShellWords(command).operators).toContain(op);
  });

  it("does not see operators inside single quotes or escaped", () => {
    expect(splitShellWords(`echo 'a && b; $(c)' \\; "x|y"`).operators).toEqual([]);
  });

  it("splits simple commands at operators and drops redirection targets", () => {
    expect(words("git status && rm -rf / > out.txt; echo $(curl evil)")).toEqual([
      ["git", "status"],
      ["rm", "-rf", "/"],
      ["echo"],
      ["curl", "evil"],
    ]);
  });
});
