/**
 * Egress proxy figures, direct and through `warden proxy` (its own process, auditing every
 * connection) in the same run, all on loopback:
 * - connection setup: median latency of one HTTP GET on a fresh connection (forward request),
 *   direct vs through the proxy (each proxied request is decided and audited);
 * - request throughput: N GETs with a fixed number in flight, fresh connection each;
 * - bulk transfer through a CONNECT tunnel vs the same bytes read directly.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import net, { type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { cpuMs, report, summarize } from "./report.js";

const REQUESTS = Number(process.env.BENCH_PROXY_REQUESTS ?? 2_000);
const IN_FLIGHT = 16;
const CLI = fileURLToPath(new URL("../../dist/cli/main.js", import.meta.url));
const BULK_BYTES = Number(process.env.BENCH_PROXY_BYTES ?? 1024 ** 3);

const POLICY = `apiVersion: warden/v1
kind: Policy
metadata: { name: bench-proxy, version: "1" }
rules:
  - id: metadata
    kind: net.connect
    deny: ["169.254.169.254"]
  - id: loopback-bench
    kind: net.connect
    allow: ["127.0.0.1"]
`;

function get(options: http.RequestOptions): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    http
      .get({ ...options, agent: false }, (res) => {
        res.resume();
        res.on("end", () => resolve(performance.now() - t0));
      })
      .on("error", reject);
  });
}

async function sequential(options: http.RequestOptions, n: number): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) samples.push(await get(options));
  return samples;
}

async function throughput(options: http.RequestOptions, n: number): Promise<number> {
  let next = 0;
  const t0 = performance.now();
  const worker = async () => {
    while (next++ < n) await get(options);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  return n / ((performance.now() - t0) / 1000);
}

/** Reads `bytes` from a socket and returns MB/s. */
function drain(socket: net.Socket, bytes: number): Promise<number> {
  const t0 = performance.now();
  let seen = 0;
  return new Promise((resolve, reject) => {
    socket.on("data", (c: Buffer) => {
      seen += c.length;
      if (seen >= bytes) {
        socket.destroy();
        resolve(bytes / 1e6 / ((performance.now() - t0) / 1000));
      }
    });
    socket.on("error", reject);
  });
}

export async function proxyBench(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "warden-bench-proxy-"));
  const origin = http.createServer((_req, res) => res.end("ok\n"));
  origin.listen(0, "127.0.0.1");
  await once(origin, "listening");
  const originPort = (origin.address() as AddressInfo).port;

  const chunk = Buffer.alloc(256 * 1024);
  const bulk = net.createServer((socket) => {
    socket.on("error", () => {});
    let sent = 0;
    const pump = (): void => {
      while (sent < BULK_BYTES) {
        sent += chunk.length;
        if (!socket.write(chunk)) return void socket.once("drain", pump);
      }
      socket.end();
    };
    pump();
  });
  bulk.listen(0, "127.0.0.1");
  await once(bulk, "listening");
  const bulkPort = (bulk.address() as AddressInfo).port;

  // The proxy is `warden proxy` in its own process, as deployed: in this one it would share a
  // thread with both ends of every transfer it relays.
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const policy = join(dir, "policy.yaml");
  writeFileSync(policy, POLICY);
  const child = spawn(
    process.execPath,
    [
      ...(process.env.BENCH_PROXY_NODE_ARGS?.split(" ").filter(Boolean) ?? []),
      CLI,
      "proxy",
      "--listen",
      "127.0.0.1:0",
      "--policy",
      policy,
      "--agent",
      "bench",
      "--json",
    ],
    {
      stdio: ["ignore", "pipe", "inherit"],
      env: { ...process.env, WARDEN_HOME: join(dir, "home") },
    },
  );
  const [line] = (await once(child.stdout!, "data")) as [Buffer];
  const { listening } = JSON.parse(line.toString().split("\n")[0]!) as { listening: string };
  const proxyPort = Number(listening.split(":").at(-1));
  child.stdout!.resume(); // one line per decision: read, as a terminal or a log collector would

  try {
    const direct = { host: "127.0.0.1", port: originPort, path: "/" };
    const proxied = {
      host: "127.0.0.1",
      port: proxyPort,
      path: `http://127.0.0.1:${originPort}/`,
      headers: { Host: `127.0.0.1:${originPort}` },
    };
    await sequential(direct, 200); // warm up both paths
    await sequential(proxied, 200);
    const d = summarize(await sequential(direct, REQUESTS));
    const p = summarize(await sequential(proxied, REQUESTS));
    report({ name: "proxy: GET, fresh connection, direct p50", value: d.p50 * 1000, unit: "µs" });
    report({
      name: "proxy: GET, fresh connection, via proxy p50",
      value: p.p50 * 1000,
      unit: "µs",
    });
    report({
      name: "proxy: connection setup added at p50",
      value: p.p50 - d.p50,
      unit: "ms",
      target: { op: "<=", value: 1 },
    });
    report({ name: "proxy: via proxy / direct latency (p50)", value: p.p50 / d.p50, unit: "x" });

    const dRate = await throughput(direct, REQUESTS);
    const pRate = await throughput(proxied, REQUESTS);
    report({
      name: `proxy: requests/s direct (${IN_FLIGHT} in flight)`,
      value: dRate,
      unit: "req/s",
    });
    report({
      name: `proxy: requests/s via proxy (${IN_FLIGHT} in flight)`,
      value: pRate,
      unit: "req/s",
    });
    report({ name: "proxy: via proxy / direct requests/s", value: pRate / dRate, unit: "x" });

    const directSocket = net.connect({ host: "127.0.0.1", port: bulkPort });
    const directMBs = await drain(directSocket, BULK_BYTES);
    const tunnel = net.connect({ host: "127.0.0.1", port: proxyPort });
    tunnel.write(`CONNECT 127.0.0.1:${bulkPort} HTTP/1.1\r\nHost: 127.0.0.1:${bulkPort}\r\n\r\n`);
    const [first] = (await once(tunnel, "data")) as [Buffer];
    const headEnd = first.indexOf("\r\n\r\n") + 4;
    if (!first.toString("latin1", 0, 12).includes("200")) throw new Error("CONNECT refused");
    const rest = first.length - headEnd;
    const cpu0 = cpuMs(child.pid!);
    const tunnelMBs = await drain(tunnel, BULK_BYTES - rest);
    const proxyCpu = cpuMs(child.pid!) - cpu0;
    const gib = (BULK_BYTES / 1024 ** 3).toFixed(2);
    report({ name: `proxy: bulk ${gib} GiB direct`, value: directMBs, unit: "MB/s" });
    report({ name: `proxy: bulk ${gib} GiB through CONNECT`, value: tunnelMBs, unit: "MB/s" });
    report({
      name: "proxy: CPU of the proxy process per GiB tunnelled",
      value: proxyCpu / (BULK_BYTES / 1024 ** 3),
      unit: "ms",
    });
    report({
      name: "proxy: bulk through proxy / direct",
      value: (tunnelMBs / directMBs) * 100,
      unit: "%",
      target: { op: ">=", value: 70 },
    });
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
    origin.close();
    bulk.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
