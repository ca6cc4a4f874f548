import { describe, expect, it } from "vitest";
import { boundedFetch } from "./bounded-fetch.js";

/** A response whose body arrives in exactly these chunks. */
const respond = (chunks: string[], type: string) => async () =>
  new Response(
    new ReadableStream<Uint8Array>({
      start(controller) {
        for (const c of chunks) controller.enqueue(new TextEncoder().encode(c));
        controller.close();
      },
    }),
    { headers: { "content-type": type } },
  );

async function read(chunks: string[], type: string, limit: number) {
  const over: number[] = [];
  const response = await boundedFetch(limit, (n) => over.push(n), respond(chunks, type))("x");
  try {
    return { text: await response.text(), over };
  } catch (error) {
    return { error: (error as Error).message, over };
  }
}

describe("boundedFetch", () => {
  it("counts each server-sent event on its own, across chunks and CRLF endings", async () => {
    const event = (n: number) => `data: ${"y".repeat(n)}`;
    const chunks = [event(40), "\n", "\n", event(40), "\r\n\r", "\n", event(20), "\n\n"];
    const { text, over } = await read(chunks, "text/event-stream", 50);
    expect(text).toBe(chunks.join(""));
    expect(over).toEqual([]);
  });

  it("refuses an event over the limit even when it arrives in small pieces", async () => {
    const pieces = ["data: ", ..."z".repeat(60).split(""), "\n\n"];
    const { error, over } = await read(pieces, "text/event-stream", 50);
    expect(error).toBeDefined();
    expect(over).toHaveLength(1);
  });

  it("counts a JSON body whole", async () => {
    expect((await read(["{", '"a":', '"b"}'], "application/json", 10)).over).toEqual([]);
    const big = await read(["{", '"a":"', "b".repeat(20), '"}'], "application/json", 10);
    expect(big.error).toMatch(/over the 10 byte limit/);
  });
});
