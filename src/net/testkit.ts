/**
 * Test fixtures for the egress proxy: loopback origin servers (HTTP, TLS, git http-backend), a
 * fake resolver, policies, and raw-socket clients. Every server listens on 127.0.0.1 only.
 */
import { execFile, spawn } from "node:child_process";
import type { LookupAddress } from "node:dns";
import { once } from "node:events";
import { mkdtempSync, readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog } from "../audit/index.js";
import { type CompiledPolicy, compilePolicy } from "../policy/index.js";
import type { Lookup } from "./egress-decision.js";
import { type ConnectionRecord, EgressProxy, type EgressProxyOptions } from "./proxy.js";

export function tempDir(prefix = "warden-net-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Loopback IPs are allowed by exact IP rules (the guard's exception); names are listed. */
export const OPEN_POLICY = `apiVersion: warden/v1
kind: Policy
metadata: { name: egress-test, version: "1" }
rules:
  - id: loopback-test-servers
    kind: net.connect
    allow: ["127.0.0.1", "[::1]"]
  - id: named-hosts
    kind: net.connect
    allow: ["allowed.test", "*.allowed.test", "rebind.test", "localhost"]
  - id: no-metadata
    kind: net.connect
    deny: ["169.254.169.254", "fd00:ec2::254"]
    reason: Cloud metadata is never reachable from an agent.
  - id: blocked-names
    kind: net.connect
    deny: ["evil.test", "*.evil.test"]
    reason: Known exfiltration endpoint.
  - id: needs-approval
    kind: net.connect
    ask: ["ask.test"]
    reason: Uploads to this host need a look.
`;

/** Only names: loopback is reachable by no rule, so the guard refuses it everywhere. */
export const NAMES_POLICY = `apiVersion: warden/v1
kind: Policy
metadata: { name: egress-names, version: "1" }
rules:
  - id: named-hosts
    kind: net.connect
    allow: ["allowed.test", "*.allowed.test", "rebind.test", "localhost", "*"]
`;

export function policy(text = OPEN_POLICY): CompiledPolicy {
  return compilePolicy(text);
}

/** A resolver from a table; unknown names fail with ENOTFOUND. Counts calls per name. */
export function fakeLookup(table: Record<string, string[]>): Lookup & { calls: string[] } {
  const calls: string[] = [];
  const fn = async (host: string): Promise<LookupAddress[]> => {
    calls.push(host);
    const list = table[host];
    if (list === undefined)
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return list.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return Object.assign(fn, { calls });
}

export const LOOKUP_TABLE: Record<string, string[]> = {
  "allowed.test": ["127.0.0.1"],
  "git.allowed.test": ["127.0.0.1"],
  localhost: ["127.0.0.1", "::1"],
  "rebind.test": ["93.184.216.34", "169.254.169.254"],
  "rebind2.test": ["93.184.216.34", "127.0.0.1"],
  "private.allowed.test": ["10.0.0.5"],
  "private172.allowed.test": ["172.16.3.4"],
  "private192.allowed.test": ["192.168.1.1"],
  "cgnat.allowed.test": ["100.64.1.1"],
  "alibaba.allowed.test": ["100.100.100.200"],
  "ecs.allowed.test": ["169.254.170.2"],
  "ula.allowed.test": ["fd12:3456::1"],
  "ec2v6.allowed.test": ["fd00:ec2::254"],
  "linklocal6.allowed.test": ["fe80::1"],
  "nat64.allowed.test": ["64:ff9b::a9fe:a9fe"],
  "sixtofour.allowed.test": ["2002:7f00:1::1"],
  "teredo.allowed.test": ["2001:0:4136:e378:8000:63bf:80ff:fffe"],
  "compat.allowed.test": ["::7f00:1"],
  "mapped.allowed.test": ["::ffff:127.0.0.1"],
  "multicast.allowed.test": ["224.0.0.251"],
  "broadcast.allowed.test": ["255.255.255.255"],
  "zero.allowed.test": ["0.0.0.0"],
  "unspec6.allowed.test": ["::"],
  "reserved.allowed.test": ["240.0.0.1"],
  "docs.allowed.test": ["192.0.2.10"],
  "bench.allowed.test": ["198.18.0.1"],
  "loop6.allowed.test": ["::1"],
  "loopback2.allowed.test": ["127.0.0.2"],
  "evil.test": ["127.0.0.1"],
  "ask.test": ["127.0.0.1"],
};

export interface Harness {
  /** The next record (connection end) that matches, waiting for it if need be. */
  record(match: (r: ConnectionRecord) => boolean, ms?: number): Promise<ConnectionRecord>;
  proxy: EgressProxy;
  address: string;
  port: number;
  records: ConnectionRecord[];
  lookup: ReturnType<typeof fakeLookup>;
  audit: AuditLog;
  close(): Promise<void>;
}

export async function startProxy(
  options: Partial<EgressProxyOptions> & { policyText?: string } = {},
): Promise<Harness> {
  const lookup = fakeLookup(LOOKUP_TABLE);
  const audit = AuditLog.open({ home: join(tempDir(), "home"), autoCheckpoint: false });
  const proxy = new EgressProxy({
    policy: policy(options.policyText),
    audit,
    agent: "test-agent",
    lookup,
    ...options,
  });
  const records: ConnectionRecord[] = [];
  proxy.on("connection", (r: ConnectionRecord) => records.push(r));
  const address = await proxy.listen({ host: "127.0.0.1", port: 0 });
  const port = Number(address.split(":").at(-1));
  const record = (match: (r: ConnectionRecord) => boolean, ms = 5000) =>
    new Promise<ConnectionRecord>((resolve, reject) => {
      const found = records.find(match);
      if (found !== undefined) return resolve(found);
      const timer = setTimeout(() => reject(new Error("no matching connection record")), ms);
      const on = (r: ConnectionRecord) => {
        if (!match(r)) return;
        clearTimeout(timer);
        proxy.off("connection", on);
        resolve(r);
      };
      proxy.on("connection", on);
    });
  return {
    record,
    proxy,
    address,
    port,
    records,
    lookup,
    audit,
    close: async () => {
      await proxy.close();
      audit.close();
    },
  };
}

/** A loopback HTTP origin: `/hello` says hello, `/echo` echoes method, headers and body. */
export async function startOrigin(): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      if (req.url?.startsWith("/big")) {
        const size = Number(req.url.split("/")[2] ?? 1_000_000);
        res.writeHead(200, { "Content-Length": size }).end(Buffer.alloc(size, 0x61));
        return;
      }
      const body =
        req.url === "/hello"
          ? "hello from origin\n"
          : JSON.stringify({
              method: req.method,
              url: req.url,
              headers: req.headers,
              body: Buffer.concat(chunks).toString(),
            });
      res.writeHead(200, { "Content-Type": "text/plain", "Keep-Alive": "timeout=5" }).end(body);
    });
  });
  server.keepAliveTimeout = 1000;
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** A self-signed certificate for allowed.test / localhost / 127.0.0.1 made by openssl. */
export async function selfSigned(dir: string): Promise<{ key: Buffer; cert: Buffer }> {
  const key = join(dir, "key.pem");
  const cert = join(dir, "cert.pem");
  await run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    key,
    "-out",
    cert,
    "-days",
    "1",
    "-subj",
    "/CN=allowed.test",
    "-addext",
    "subjectAltName=DNS:allowed.test,DNS:localhost,IP:127.0.0.1",
  ]);
  return { key: readFileSync(key), cert: readFileSync(cert) };
}

export async function startTlsOrigin(dir: string): Promise<{ server: https.Server; port: number }> {
  const { key, cert } = await selfSigned(dir);
  const server = https.createServer({ key, cert }, (_req, res) => {
    res.writeHead(200, { "Content-Type": "text/plain" }).end("hello over tls\n");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as net.AddressInfo).port };
}

/** `git http-backend` as CGI behind a tiny node server, serving bare repos under `root`. */
export async function startGitServer(root: string): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const cgi = spawn("git", ["http-backend"], {
      env: {
        PATH: process.env.PATH ?? "",
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: "1",
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? "GET",
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        ...(req.headers["content-length"] ? { CONTENT_LENGTH: req.headers["content-length"] } : {}),
        ...(req.headers["git-protocol"]
          ? { GIT_PROTOCOL: String(req.headers["git-protocol"]) }
          : {}),
        HTTP_CONTENT_ENCODING: req.headers["content-encoding"] ?? "",
        REMOTE_ADDR: "127.0.0.1",
      },
    });
    req.pipe(cgi.stdin);
    let head = Buffer.alloc(0);
    let headersDone = false;
    cgi.stdout.on("data", (chunk: Buffer) => {
      if (headersDone) {
        res.write(chunk);
        return;
      }
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) return;
      headersDone = true;
      let status = 200;
      for (const line of head.subarray(0, end).toString().split("\r\n")) {
        const colon = line.indexOf(":");
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === "status") status = Number(value.split(" ")[0]);
        else res.setHeader(name, value);
      }
      res.writeHead(status);
      res.write(head.subarray(end + 4));
    });
    cgi.stdout.on("end", () => res.end());
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, port: (server.address() as net.AddressInfo).port };
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a program without blocking the event loop (the proxy lives in this process). */
export function run(
  file: string,
  args: string[],
  options: { env?: Record<string, string>; cwd?: string; timeout?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    execFile(
      file,
      args,
      {
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...options.env },
        cwd: options.cwd,
        timeout: options.timeout ?? 20_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, stdout: String(stdout), stderr: String(stderr) });
      },
    );
  });
}

/** Sends raw bytes to the proxy and collects everything until it closes (or `ms` pass). */
export function rawExchange(
  port: number,
  data: Buffer | string,
  ms = 3000,
): Promise<{ reply: Buffer; closed: boolean }> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    let settled = false;
    const finish = (closed: boolean): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ reply: Buffer.concat(chunks), closed });
    };
    const timer = setTimeout(() => finish(false), ms);
    socket.on("data", (c: Buffer) => chunks.push(c));
    socket.on("close", () => finish(true));
    socket.on("error", () => finish(true));
    socket.write(data);
  });
}

/** A SOCKS5 CONNECT by name (ATYP 3), IPv4 (1) or IPv6 (4), with optional user/pass. */
export function socks5Request(
  host: string,
  port: number,
  options: { user?: [string, string]; type?: 1 | 3 | 4; command?: number } = {},
): Buffer {
  const parts: Buffer[] = [];
  if (options.user) {
    const [u, p] = options.user;
    parts.push(Buffer.from([0x05, 0x01, 0x02]));
    parts.push(Buffer.from([0x01, u.length]), Buffer.from(u), Buffer.from([p.length]));
    parts.push(Buffer.from(p));
  } else parts.push(Buffer.from([0x05, 0x01, 0x00]));
  const type = options.type ?? 3;
  let address: Buffer;
  if (type === 1) address = Buffer.from(host.split(".").map(Number));
  else if (type === 4) {
    const full = new Uint8Array(16);
    const ip = host.split("::");
    const head = ip[0] ? ip[0].split(":") : [];
    const tail = ip[1] ? ip[1].split(":") : [];
    const groups = [...head, ...Array(8 - head.length - tail.length).fill("0"), ...tail];
    groups.forEach((g, i) => {
      const v = Number.parseInt(g, 16);
      full[i * 2] = v >> 8;
      full[i * 2 + 1] = v & 0xff;
    });
    address = Buffer.from(full);
  } else address = Buffer.concat([Buffer.from([host.length]), Buffer.from(host, "latin1")]);
  const portBytes = Buffer.alloc(2);
  portBytes.writeUInt16BE(port);
  parts.push(Buffer.from([0x05, options.command ?? 0x01, 0x00, type]), address, portBytes);
  return Buffer.concat(parts);
}

/** The SOCKS5 reply code in a raw exchange (after the method and optional auth replies). */
export function socks5ReplyCode(reply: Buffer, withAuth = false): number | undefined {
  return reply[withAuth ? 5 : 3];
}
