import { describe, expect, it } from "vitest";
import { LineReader, readMessage } from "./json-lines.js";

function reader(max: number) {
  const seen: string[] = [];
  const r = new LineReader(max, {
    line: (l) => seen.push(`line ${l}`),
    overflow: () => seen.push("overflow"),
    skipped: (bytes, tail) => seen.push(`skipped ${bytes} ...${tail.toString().slice(-4)}`),
  });
  const feed = (...chunks: string[]) => {
    for (const c of chunks) r.feed(Buffer.from(c));
  };
  return { seen, feed };
}

describe("LineReader", () => {
  it("cuts lines across chunks, drops CR and blank lines", () => {
    const { seen, feed } = reader(100);
    feed('{"a":', "1}\r\n\n  \n", '{"b":2}\n{"c"');
    expect(seen).toEqual(['line {"a":1}', 'line {"b":2}']);
  });

  it("drops a line over the limit as it grows, keeps its tail, and reads the next one", () => {
    const { seen, feed } = reader(10);
    feed("0123456", "789abcdef", "ghij-end\nok\n");
    expect(seen).toEqual(["overflow", "skipped 24 ...-end", "line ok"]);
  });
});

describe("readMessage", () => {
  it("offers a message to the taker first, then to the SDK's schema", () => {
    const request = '{"jsonrpc":"2.0","id":1,"method":"ping"}';
    expect(readMessage(request, () => true)).toEqual({ kind: "claimed" });
    expect(readMessage(request, () => false).kind).toBe("message");
    expect(readMessage("{nope", undefined).kind).toBe("not-json");
    expect(readMessage('{"id":3}', undefined)).toMatchObject({
      kind: "not-json-rpc",
      json: { id: 3 },
    });
  });
});
