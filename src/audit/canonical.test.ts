import { describe, expect, it } from "vitest";
import { canonicalize } from "./canonical.js";
import { AuditError } from "./errors.js";

describe("canonicalize (RFC 8785)", () => {
  it("serialises numbers as ECMAScript does (RFC 8785 appendix B)", () => {
    const vectors: Array<[number, string]> = [
      [0, "0"],
      [-0, "0"],
      [1, "1"],
      [-1, "-1"],
      [0.1, "0.1"],
      [1e21, "1e+21"],
      [1e-7, "1e-7"],
      [123456789012345680000, "123456789012345680000"],
      [4.5, "4.5"],
      [2e-3, "0.002"],
      [0.000001, "0.000001"],
      [Number.MAX_SAFE_INTEGER, "9007199254740991"],
      [Number.MIN_VALUE, "5e-324"],
      [-Number.MIN_VALUE, "-5e-324"],
      [Number.MAX_VALUE, "1.7976931348623157e+308"],
      [9007199254740992, "9007199254740992"],
      [295147905179352830000, "295147905179352830000"],
      [1.0000000000000002, "1.0000000000000002"],
      [333333333.3333333, "333333333.3333333"],
    ];
    for (const [value, text] of vectors) expect(canonicalize(value), String(value)).toBe(text);
  });

  it("reproduces the RFC 8785 section 3.2.2 example", () => {
    const input = {
      // As the RFC writes them: parsed from text, since the first has more digits than a double.
      numbers: JSON.parse("[333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001]"),
      string: "\u20ac$\u000f\u000aA'\u0042\u0022\u005c\\\"/",
      literals: [null, true, false],
    };
    expect(canonicalize(input)).toBe(
      '{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],' +
        '"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}',
    );
  });

  it("sorts keys by UTF-16 code units (RFC 8785 section 3.2.3)", () => {
    const input = {
      "\u20ac": "Euro Sign",
      "\r": "Carriage Return",
      "\ufb33": "Hebrew Letter Dalet With Dagesh",
      "1": "One",
      "\ud83d\ude00": "Emoji: Grinning Face",
      "\u0080": "Control",
      "\u00f6": "Latin Small Letter O With Diaeresis",
    };
    // Read the keys off the text: JSON.parse would move the integer-like key "1" first.
    const keys = [...canonicalize(input).matchAll(/"((?:[^"\\]|\\.)*)":/g)].map((m) =>
      JSON.parse(`"${m[1]}"`),
    );
    expect(keys).toEqual(["\r", "1", "\u0080", "\u00f6", "\u20ac", "\ud83d\ude00", "\ufb33"]);
  });

  it("has no whitespace, escapes controls in lowercase hex and leaves other text alone", () => {
    expect(canonicalize({ b: [1, { d: 2, c: 3 }], a: "x\u0001\u001fé\u2028" })).toBe(
      '{"a":"x\\u0001\\u001fé\u2028","b":[1,{"c":3,"d":2}]}',
    );
  });

  it("drops undefined members, maps undefined array items to null, honours toJSON", () => {
    expect(canonicalize({ a: undefined, b: [undefined], c: new Date(0) })).toBe(
      '{"b":[null],"c":"1970-01-01T00:00:00.000Z"}',
    );
  });

  it("rejects what JSON cannot hold", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    for (const bad of [
      Number.NaN,
      Number.POSITIVE_INFINITY,
      { a: Number.NEGATIVE_INFINITY },
      10n,
      () => 1,
      Symbol("s"),
      undefined,
      cyclic,
      "\ud800",
      { "\udc00": 1 },
    ]) {
      expect(() => canonicalize(bad), String(bad)).toThrow(AuditError);
    }
  });

  it("allows the same object twice when it is not a cycle", () => {
    const shared = { x: 1 };
    expect(canonicalize([shared, shared])).toBe('[{"x":1},{"x":1}]');
  });
});
