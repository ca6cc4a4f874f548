/**
 * The egress proxy with real clients — curl (HTTP forward, CONNECT to TLS, SOCKS5 with remote DNS),
 * git clone over smart HTTP, node's http client, a unix socket — against loopback servers only.
 */
import { once } from "node:events";
import { mkdirSync, writeFileSync } from "node:fs";
import http from "node:http";
import net from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AuditLog } from "../audit/index.js";
import { EgressProxy } from "./proxy.js";
import {
  type Harness,
  NAMES_POLICY,
  policy,
  rawExchange,
  run,
  startGitServer,
  startOrigin,
  startProxy,
  startTlsOrigin,
  tempDir,
} from "./testkit.js";

let h: Harness;
let dir: string;
let origin: Awaited<ReturnType<typeof startOrigin>>;
let tls: Awaited<ReturnType<typeof startTlsOrigin>>;
let git: Awaited<ReturnType<typeof startGitServer>>;

beforeAll(async () => {
  dir = tempDir();
  [h, origin, tls] = await Promise.all([startProxy(), startOrigin(), startTlsOrigin(dir)]);
  const bare = join(dir, "repos", "demo.git");
  const work = join(dir, "work");
  mkdirSync(work, { recursive: true });
  const gitEnv = {
    GIT_AUTHOR_NAME: "t",
    GIT_AUTHOR_EMAIL: "t@example.com",
    GIT_COMMITTER_NAME: "t",
    GIT_COMMITTER_EMAIL: "t@example.com",
  };
  await run("git", ["init", "-q", "-b", "main", work]);
  writeFileSync(join(work, "README"), "through the egress proxy\n");
  await run("git", ["-C", work, "add", "README"], { env: gitEnv });
  await run("git", ["-C", work, "commit", "-qm", "first"], { env: gitEnv });
  await run("git", ["clone", "-q", "--bare", work, bare]);
  git = await startGitServer(join(dir, "repos"));
});

afterAll(async () => {
  await h.close();
  origin.server.close();
  tls.server.close();
  git.server.close();
});

const proxyUrl = () => `http://127.0.0.1:${h.port}`;
const last = () => h.records.at(-1)!;

describe("curl through the proxy", () => {
  it("HTTP forward to an allowed name: served, audited with bytes and the resolved ip", async () => {
    const r = await run("curl", [
      "-sS",
      "-x",
      proxyUrl(),
      `http://allowed.test:${origin.port}/hello`,
    ]);
    expect(r).toMatchObject({ code: 0, stdout: "hello from origin\n" });
    await h.audit.flush();
    const [event] = h.audit.search({ pep: "net.proxy", order: "desc", limit: 1 });
    expect(event).toMatchObject({
      kind: "net.connect",
      principal: { agent: "test-agent" },
      target: { host: "allowed.test", port: origin.port, ip: "127.0.0.1" },
      decision: { effect: "allow", rule: "named-hosts" },
      context: { protocol: "http", outcome: "closed" },
    });
    expect(event!.context!.bytesDown).toBeGreaterThan(0);
    expect(event!.context!.durationMs).toBeGreaterThan(0);
  });

  it("hop-by-hop headers are removed and end-to-end ones kept", async () => {
    const r = await run("curl", [
      "-sS",
      "-x",
      proxyUrl(),
      "-H",
      "Connection: close, X-Secret-Hop",
      "-H",
      "X-Secret-Hop: 1",
      "-H",
      "X-Kept: yes",
      "-U",
      "claude-code:s-42",
      `http://127.0.0.1:${origin.port}/echo`,
    ]);
    const seen = JSON.parse(r.stdout) as { headers: Record<string, string>; url: string };
    expect(seen.url).toBe("/echo");
    expect(seen.headers["x-kept"]).toBe("yes");
    expect(seen.headers["x-secret-hop"]).toBeUndefined();
    expect(seen.headers["proxy-authorization"]).toBeUndefined();
    expect(last().principal).toEqual({ agent: "claude-code", session: "s-42" });
  });

  it("POST bodies go through", async () => {
    const r = await run("curl", [
      "-sS",
      "-x",
      proxyUrl(),
      "--data-binary",
      "payload=1",
      `http://127.0.0.1:${origin.port}/echo`,
    ]);
    expect(JSON.parse(r.stdout)).toMatchObject({ method: "POST", body: "payload=1" });
    expect(last().bytesUp).toBeGreaterThan(9);
  });

  it("HTTPS through CONNECT to a local TLS server", async () => {
    const r = await run("curl", [
      "-sS",
      "--insecure",
      "-x",
      proxyUrl(),
      `https://allowed.test:${tls.port}/`,
    ]);
    expect(r).toMatchObject({ code: 0, stdout: "hello over tls\n" });
    const rec = await h.record((x) => x.protocol === "connect" && x.port === tls.port);
    expect(rec).toMatchObject({ host: "allowed.test", ip: "127.0.0.1", outcome: "closed" });
    expect(rec.bytesDown).toBeGreaterThan(200); // the TLS handshake at least
  });

  it("--proxytunnel makes plain HTTP use CONNECT too", async () => {
    const r = await run("curl", [
      "-sS",
      "--proxytunnel",
      "-x",
      proxyUrl(),
      `http://allowed.test:${origin.port}/hello`,
    ]);
    expect(r.stdout).toBe("hello from origin\n");
    await h.record((x) => x.protocol === "connect" && x.port === origin.port);
  });

  it("SOCKS5 with remote DNS and user/pass identity", async () => {
    const r = await run("curl", [
      "-sS",
      "--proxy",
      `socks5h://codex:run-7@127.0.0.1:${h.port}`,
      `http://allowed.test:${origin.port}/hello`,
    ]);
    expect(r).toMatchObject({ code: 0, stdout: "hello from origin\n" });
    const rec = await h.record((x) => x.protocol === "socks5" && x.principal.agent === "codex");
    expect(rec).toMatchObject({ host: "allowed.test", principal: { session: "run-7" } });
    expect(h.lookup.calls.at(-1)).toBe("allowed.test");
  });

  it("SOCKS5 to HTTPS (--socks5-hostname)", async () => {
    const r = await run("curl", [
      "-sS",
      "--insecure",
      "--socks5-hostname",
      `127.0.0.1:${h.port}`,
      `https://allowed.test:${tls.port}/`,
    ]);
    expect(r.stdout).toBe("hello over tls\n");
  });

  it("a denied host: 403 naming rule and reason, X-Warden-Rule header", async () => {
    const r = await run("curl", [
      "-sS",
      "-i",
      "-x",
      proxyUrl(),
      `http://evil.test:${origin.port}/`,
    ]);
    expect(r.stdout).toMatch(/^HTTP\/1\.1 403/);
    expect(r.stdout).toContain("X-Warden-Rule: blocked-names");
    expect(r.stdout).toContain("rule blocked-names): Known exfiltration endpoint.");
  });

  it("a host in no rule: 403 by the default", async () => {
    const r = await run("curl", ["-sS", "-i", "-x", proxyUrl(), "http://elsewhere.test/"]);
    expect(r.stdout).toMatch(/^HTTP\/1\.1 403/);
    expect(r.stdout).toContain("X-Warden-Rule: default");
  });

  it("CONNECT denied: curl reports the 403", async () => {
    const r = await run("curl", ["-sS", "--insecure", "-x", proxyUrl(), "https://evil.test:443/"]);
    expect(r.code).toBe(56);
    expect(r.stderr).toContain("403");
  });

  it("SOCKS5 denied: reply 0x02 (not allowed by ruleset)", async () => {
    const r = await run("curl", [
      "-sS",
      "--socks5-hostname",
      `127.0.0.1:${h.port}`,
      "http://evil.test/",
    ]);
    expect(r.code).toBe(97);
    expect(r.stderr).toMatch(/not allowed|\(2\)/);
  });

  it("169.254.169.254 is denied without connecting", async () => {
    const r = await run("curl", ["-sS", "-i", "-x", proxyUrl(), "http://169.254.169.254/latest/"]);
    expect(r.stdout).toContain("X-Warden-Rule: no-metadata");
    expect(last()).toMatchObject({ outcome: "denied", bytesUp: 0, bytesDown: 0 });
  });

  it("an ask rule fails closed: approval required", async () => {
    const r = await run("curl", ["-sS", "-i", "-x", proxyUrl(), "http://ask.test/"]);
    expect(r.stdout).toMatch(/^HTTP\/1\.1 403/);
    expect(r.stdout).toContain("approval required");
    expect(h.lookup.calls).not.toContain("ask.test"); // refused by name: never resolved
  });

  it("upstream refused: 502", async () => {
    const closed = net.createServer();
    closed.listen(0, "127.0.0.1");
    await once(closed, "listening");
    const port = (closed.address() as net.AddressInfo).port;
    closed.close();
    const r = await run("curl", ["-sS", "-i", "-x", proxyUrl(), `http://127.0.0.1:${port}/`]);
    expect(r.stdout).toMatch(/^HTTP\/1\.1 502/);
    expect(last()).toMatchObject({ outcome: "refused", error: "ECONNREFUSED" });
  });
});

describe("git and node through the proxy", () => {
  it("git clone over smart HTTP from git http-backend", async () => {
    const dest = join(dir, "clone");
    const r = await run(
      "git",
      ["clone", "-q", `http://git.allowed.test:${git.port}/demo.git`, dest],
      {
        env: { http_proxy: proxyUrl(), GIT_TERMINAL_PROMPT: "0" },
      },
    );
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const log = await run("git", ["-C", dest, "log", "--format=%s"]);
    expect(log.stdout.trim()).toBe("first");
    const gitRecords = h.records.filter((x) => x.host === "git.allowed.test");
    expect(gitRecords.length).toBeGreaterThanOrEqual(2); // info/refs, then upload-pack
    expect(gitRecords.every((x) => x.decision.effect === "allow")).toBe(true);
  });

  it("git clone from a denied host fails with Warden's reason", async () => {
    const r = await run("git", ["clone", "-q", "http://evil.test/demo.git", join(dir, "nope")], {
      env: { http_proxy: proxyUrl(), GIT_TERMINAL_PROMPT: "0" },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("403");
  });

  it("node's http client: absolute-URI GET and a CONNECT tunnel", async () => {
    const body = await new Promise<string>((resolve, reject) => {
      http
        .get(
          {
            host: "127.0.0.1",
            port: h.port,
            path: `http://allowed.test:${origin.port}/hello`,
            headers: { Host: `allowed.test:${origin.port}` },
          },
          (res) => {
            let text = "";
            res.on("data", (c) => {
              text += c;
            });
            res.on("end", () => resolve(text));
          },
        )
        .on("error", reject);
    });
    expect(body).toBe("hello from origin\n");

    const req = http.request({
      host: "127.0.0.1",
      port: h.port,
      method: "CONNECT",
      path: `127.0.0.1:${origin.port}`,
    });
    req.end();
    const [res, socket] = (await once(req, "connect")) as [http.IncomingMessage, net.Socket];
    expect(res.statusCode).toBe(200);
    socket.write(`GET /hello HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    let text = "";
    socket.on("data", (c) => {
      text += c;
    });
    await once(socket, "end");
    expect(text).toContain("hello from origin");
  });

  it("Host header that disagrees with the URI is refused", async () => {
    const { reply } = await rawExchange(
      h.port,
      `GET http://allowed.test:${origin.port}/ HTTP/1.1\r\nHost: evil.test\r\n\r\n`,
    );
    expect(reply.toString()).toMatch(/^HTTP\/1\.1 403/);
    expect(reply.toString()).toContain("X-Warden-Rule: warden:host-mismatch");
  });

  it("listens on a unix socket too (for the sandbox bridge)", async () => {
    const socketPath = join(dir, "proxy.sock");
    const proxy = new EgressProxy({ policy: policy(), agent: "sandboxed" });
    await proxy.listen({ path: socketPath });
    const reply = await new Promise<string>((resolve) => {
      const s = net.connect(socketPath);
      let text = "";
      s.on("data", (c) => {
        text += c;
      });
      s.on("end", () => resolve(text));
      s.write(
        `GET http://127.0.0.1:${origin.port}/hello HTTP/1.1\r\nHost: 127.0.0.1:${origin.port}\r\nConnection: close\r\n\r\n`,
      );
    });
    expect(reply).toContain("hello from origin");
    await proxy.close();
  });
});

describe("report-only", () => {
  it("lets a would-be denial through and marks the audit event", async () => {
    const ro = await startProxy({ reportOnly: true, policyText: NAMES_POLICY });
    try {
      const r = await run("curl", [
        "-sS",
        "-x",
        `http://127.0.0.1:${ro.port}`,
        `http://127.0.0.1:${origin.port}/hello`,
      ]);
      expect(r.stdout).toBe("hello from origin\n");
      await ro.audit.flush();
      const [opened, closed] = ro.audit.search({ pep: "net.proxy" });
      expect(opened).toMatchObject({ kind: "net.open", context: { reportOnly: true } });
      expect(closed).toMatchObject({
        kind: "net.connect",
        decision: { effect: "deny", rule: "warden:address-guard" },
        context: { reportOnly: true, outcome: "closed" },
      });
    } finally {
      await ro.close();
    }
  });
});

describe("the record comes before the act", () => {
  it("an allowed connection is on disk as net.open before the proxy connects", async () => {
    const before = h.audit.size();
    const r = await run("curl", [
      "-sS",
      "-x",
      proxyUrl(),
      `http://allowed.test:${origin.port}/hello`,
    ]);
    expect(r.stdout).toBe("hello from origin\n");
    await h.audit.flush();
    const kinds = h.audit
      .search({ pep: "net.proxy", afterSeq: before - 1, limit: 10 })
      .map((e) => e.kind);
    expect(kinds).toEqual(["net.open", "net.connect"]);
  });

  it("a full audit log refuses an allowed connection (503), which never reaches the origin", async () => {
    const full = AuditLog.open({
      home: join(dir, "full-home"),
      maxBytes: 256 * 1024,
      autoCheckpoint: false,
    });
    // Fill it with ever smaller events until even a small one no longer fits.
    let filled = false;
    for (const size of [4000, 400, 40, 1]) {
      for (let i = 0; i < 2000; i++) {
        const target = { pad: `${i}${"x".repeat(size)}` };
        const failed = await full
          .append({ kind: "exec", pep: "filler", principal: { agent: "f" }, target })
          .then(() => false)
          .catch(() => true);
        if (failed) {
          filled = true;
          break;
        }
      }
    }
    expect(filled).toBe(true);
    const seen: string[] = [];
    const watched = http.createServer((req, res) => {
      seen.push(req.url ?? "");
      res.end("should never be reached\n");
    });
    watched.listen(0, "127.0.0.1");
    await once(watched, "listening");
    const port = (watched.address() as net.AddressInfo).port;
    const p = await startProxy({ audit: full });
    try {
      const r = await run("curl", [
        "-sS",
        "-i",
        "-x",
        `http://127.0.0.1:${p.port}`,
        `http://allowed.test:${port}/x`,
      ]);
      expect(r.stdout).toMatch(/^HTTP\/1\.1 503/);
      expect(r.stdout).toContain("audit log cannot be written");
      expect(seen).toEqual([]);
    } finally {
      await p.close();
      full.close();
      watched.close();
    }
  });
});
