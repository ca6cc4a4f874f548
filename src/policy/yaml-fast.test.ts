import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { isMap, isPair, isScalar, isSeq, type Node } from "yaml";
import { lintPolicy, lintSource } from "./compile.js";
import { composeFast } from "./yaml-fast.js";
import { YamlSource } from "./yaml-source.js";

const SAMPLE = readFileSync(new URL("./fixtures/acme-default.yaml", import.meta.url), "utf8");

/** What the policy readers see of a node: kind, start, scalar style and value, children. */
function shape(node: Node | null | undefined, text: string): unknown {
  if (node === null || node === undefined) return null;
  const start = node.range?.[0];
  if (isScalar(node)) {
    const end = node.range?.[1] ?? 0;
    const block = node.type === "BLOCK_LITERAL" || node.type === "BLOCK_FOLDED";
    // offsetInScalar only asks whether a flow scalar spans lines.
    const multiline = block ? null : text.slice(start, end).includes("\n");
    return { start, type: node.type, value: node.value, multiline };
  }
  if (isMap(node) || isSeq(node)) {
    const items = node.items.map((item) =>
      isPair(item)
        ? [shape(item.key as Node, text), shape(item.value as Node, text)]
        : shape(item as Node, text),
    );
    return { kind: isMap(node) ? "map" : "seq", start, items };
  }
  return { other: start };
}

function bothWays(text: string) {
  const fast = new YamlSource(text, "p.yaml");
  const slow = new YamlSource(text, "p.yaml", { fast: false });
  return { fast, slow };
}

const SAME_AS_YAML: [string, string][] = [
  ["the sample policy", SAMPLE],
  [
    "block scalars, in maps and lists, with headers and comments",
    "a: |\n  x\n   y\nb: >-  # note\n  folded\n  more\n\nc:\n  |\n  text\nd: # note\n  |+\n    keep\n\ne:\n  - |\n    item\n  - - >\n      deep\n",
  ],
  [
    "quoted and multi-line flow scalars",
    `a: "multi\n  line \\t esc"\nb: 'it''s'\nc: plain\n  multi line\n"q": 1\n'r': [x, "y", 'z']\n`,
  ],
  [
    "core-schema values resolved as yaml does",
    "v: [1, 0x1F, 0o17, 1e3, .inf, -.INF, .nan, ~, null, true, False, 1_000, -.5, +12, 012, yes, n, 1.10]\n2: x\ntrue: y\n",
  ],
  [
    "flow mappings and nested block collections",
    "g: {k: v, 'q': [1, {z: 2}]}\nh:\n- - a\n  - b\n- k: v\n  k2: w\n",
  ],
  ["CRLF line ends", 'a: 1\r\nb:\r\n  - "x"\r\n  - |\r\n    y\r\n'],
];

describe("fast YAML composer", () => {
  it.each(SAME_AS_YAML)("builds the tree parseDocument builds: %s", (_, text) => {
    const { fast, slow } = bothWays(text);
    expect(composeFast(text)).toBeDefined();
    expect(slow.diagnostics).toEqual([]);
    expect(shape(fast.root, text)).toEqual(shape(slow.root, text));
    expect(fast.lines.lineStarts).toEqual(slow.lines.lineStarts);
  });

  it.each([
    ["a syntax error", "a: [b\n"],
    ["a nested implicit mapping", "a: b: c\n"],
    ["a duplicate key", "a: 1\na: 2\n"],
    ["a duplicate key spelt differently", "1: a\n0x1: b\n"],
    ["an anchor and alias", "a: &x 1\nb: *x\n"],
    ["a tag", "a: !!str 1\n"],
    ["a directive", "%YAML 1.1\n---\na: yes\n"],
    ["two documents", "a: 1\n---\nb: 2\n"],
    ["an empty value", "a:\n"],
    ["a flow mapping entry without value", "{a: 1, b}\n"],
    ["a collection as key", "? [a]\n: b\n"],
    ["a pair in a flow sequence", "[a: b]\n"],
    ["an empty document", ""],
    ["a comment-only document", "# nothing\n"],
  ])("leaves %s to parseDocument", (_, text) => {
    expect(composeFast(text)).toBeUndefined();
  });

  it("compiles the same policy, with the same diagnostics, either way", () => {
    const head = "apiVersion: warden/v1\nkind: Policy\nmetadata: { name: p }\nrules:\n";
    const text = `${head}  - id: cel-in-block
    kind: exec
    ask: ["make *"]
    when: |
      request.kind == "exec" &&
        principal.agent ==
  - id: shadowed
    kind: exec
    allow: ["git push origin main"]
  - id: no-push
    kind: exec
    deny: ["git push *"]
    reasn: typo
`;
    const { fast, slow } = bothWays(text);
    expect(shape(fast.root, text)).toEqual(shape(slow.root, text));
    const { diagnostics } = lintSource(fast);
    expect(diagnostics).toEqual(lintSource(slow).diagnostics);
    expect(diagnostics.map((d) => `${d.line}:${d.column} ${d.severity} ${d.code}`)).toEqual([
      "17:5 error POLICY_UNKNOWN_KEY",
      "11:7 error POLICY_BAD_CEL",
      "13:13 warning POLICY_SHADOWED_ALLOW",
    ]);
    const lines = text.split("\n");
    const at = (d: { line: number; column: number }) => lines[d.line - 1]!.slice(d.column - 1);
    expect(at(diagnostics[0]!)).toBe("reasn: typo");
    expect(at(diagnostics[2]!)).toBe('"git push origin main"]');
  });

  it("still reports YAML errors with their positions (parseDocument's)", () => {
    const head = "apiVersion: warden/v1\nkind: Policy\nmetadata: { name: p }\n";
    const dup = lintPolicy(`${head}rules:\n  - id: a\n    id: b\n`).diagnostics;
    expect(dup.map((d) => `${d.line}:${d.column} ${d.code}`)).toEqual(["6:5 POLICY_DUPLICATE_KEY"]);
    const syntax = lintPolicy(`${head}rules: [\n`).diagnostics;
    expect(syntax[0]).toMatchObject({ code: "POLICY_YAML_SYNTAX", line: expect.any(Number) });
    expect(syntax[0]!.line).toBeGreaterThanOrEqual(4);
  });
});
