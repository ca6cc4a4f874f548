/**
 * The fetch an HTTP or SSE upstream is read through: it refuses any one message over the size
 * limit, as the stdio reader does. A JSON response counts whole; a server-sent event stream may
 * carry many messages, so each event counts from the blank line that ended the one before.
 */
import type { FetchLike } from "@modelcontextprotocol/sdk/shared/transport.js";

const LF = 0x0a;
const CR = 0x0d;

export function boundedFetch(
  limit: number,
  onOversize: (bytes: number) => void,
  base: FetchLike = fetch,
): FetchLike {
  return async (url, init) => {
    const response = await base(url, init);
    if (response.body === null) return response;
    const events = (response.headers.get("content-type") ?? "").includes("text/event-stream");
    const count = events
      ? eventCounter()
      : (chunk: Uint8Array, size: number) => size + chunk.length;
    let size = 0;
    const bounded = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          size = count(chunk, size);
          if (size > limit) {
            onOversize(size);
            controller.error(new Error(`message over the ${limit} byte limit`));
            return;
          }
          controller.enqueue(chunk);
        },
      }),
    );
    return new Response(bounded, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}

/** Bytes of the event being read: reset by a blank line (LF LF or CR LF CR LF). */
function eventCounter(): (chunk: Uint8Array, size: number) => number {
  let line = 0;
  let lastByte = 0;
  return (chunk, size) => {
    let event = size - line;
    let from = 0;
    for (let at = chunk.indexOf(LF); at !== -1; at = chunk.indexOf(LF, at + 1)) {
      line += at - from;
      const previous = at > 0 ? chunk[at - 1] : lastByte;
      const blank = line === 0 || (line === 1 && previous === CR);
      event = blank ? 0 : event + line + 1;
      line = 0;
      from = at + 1;
    }
    line += chunk.length - from;
    lastByte = chunk.length > 0 ? (chunk[chunk.length - 1] as number) : lastByte;
    return event + line;
  };
}
