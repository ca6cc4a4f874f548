import { createRequire } from "node:module";
import { MessageChannel, receiveMessageOnPort, Worker } from "node:worker_threads";
import { type AuditStore, type ConsistencyRow, EVENT_CONSISTENCY_SQL } from "./store.js";

/**
 * Checks that every event body is a v1 event at its own seq and that the search columns copy it
 * (see EVENT_CONSISTENCY_SQL). SQLite parses the JSON in C; on a large log the query runs on a
 * worker thread with its own read-only connection, beside verify's hash walk, and `wait()`
 * blocks until it is done — so verify stays synchronous and takes the time of the slower half.
 */
export interface ConsistencyCheck {
  wait(): ConsistencyRow[];
}

const WORKER_THRESHOLD = 50_000;

const WORKER_SOURCE = `
const { workerData } = require("node:worker_threads");
const Database = require(workerData.driver);
let result;
try {
  const db = new Database(workerData.path, { readonly: true, fileMustExist: true });
  try {
    result = { rows: db.prepare(workerData.sql).all(workerData.count) };
  } finally {
    db.close();
  }
} catch (error) {
  result = { error: String((error && error.message) || error) };
}
workerData.port.postMessage(result);
const flag = new Int32Array(workerData.flag);
Atomics.store(flag, 0, 1);
Atomics.notify(flag, 0);
`;

export function startConsistencyCheck(store: AuditStore, count: number): ConsistencyCheck {
  const inline = { wait: () => store.consistencyRows(count) };
  if (count < WORKER_THRESHOLD) return inline;
  try {
    const { port1, port2 } = new MessageChannel();
    const flag = new SharedArrayBuffer(4);
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: {
        driver: createRequire(import.meta.url).resolve("better-sqlite3"),
        path: store.path,
        sql: EVENT_CONSISTENCY_SQL,
        count,
        port: port2,
        flag,
      },
      transferList: [port2],
    });
    worker.unref();
    return {
      wait: () => {
        Atomics.wait(new Int32Array(flag), 0, 0);
        const reply = receiveMessageOnPort(port1)?.message as
          | { rows?: ConsistencyRow[]; error?: string }
          | undefined;
        port1.close();
        return reply?.rows ?? inline.wait();
      },
    };
  } catch {
    return inline;
  }
}
