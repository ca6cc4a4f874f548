/**
 * `warden proxy` as a user runs it: port 0 and a unix socket, curl through both, one line per
 * decision, SIGTERM ends it with exit 0 and every connection in the audit log.
 */
import { execFile } from "node:child_process";
import { once } from "node:events";
import { writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cli, cliSpawn, tempDir } from "./cli.js";

let dir: string;
let env: Record<string, string>;
let origin: http.Server;
let originPort: number;

function curl(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile("curl", ["-sS", "--max-time", "5", ...args], (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
      resolve({ code, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  dir = tempDir("warden-proxy-cli-");
  env = { WARDEN_HOME: join(dir, "home"), HOME: join(dir, "user") };
  writeFileSync(
    join(dir, "policy.yaml"),
    `apiVersion: warden/v1
kind: Policy
metadata: { name: proxy-cli, version: "1" }
rules:
  - id: test-origin
    kind: net.connect
    allow: ["127.0.0.1"]
  - id: no-metadata
    kind: net.connect
    deny: ["169.254.169.254"]
    reason: Cloud metadata is never reachable from an agent.
`,
  );
  origin = http.createServer((_req, res) => res.end("hello via warden proxy\n"));
  origin.listen(0, "127.0.0.1");
  await once(origin, "listening");
  originPort = (origin.address() as AddressInfo).port;
});

afterAll(() => {
  origin.close();
});

describe("warden proxy", () => {
  it("listens on port 0 and a unix socket, decides, logs a line per decision, flushes the audit on SIGTERM", async () => {
    const socketPath = join(dir, "proxy.sock");
    const child = cliSpawn(
      [
        "proxy",
        "--listen",
        "127.0.0.1:0",
        "--socket",
        socketPath,
        "--policy",
        join(dir, "policy.yaml"),
        "--agent",
        "ci-agent",
      ],
      env,
    );
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
    });
    let err = "";
    child.stderr.on("data", (c: Buffer) => {
      err += c.toString();
    });
    const until = async (pattern: RegExp): Promise<RegExpMatchArray> => {
      for (let i = 0; i < 100; i++) {
        const m = out.match(pattern);
        if (m !== null) return m;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`no ${pattern} in: ${out}${err}`);
    };
    const [, port] = await until(/listening on 127\.0\.0\.1:(\d+)/);
    await until(/listening on .*proxy\.sock/);

    const ok = await curl(["-x", `http://127.0.0.1:${port}`, `http://127.0.0.1:${originPort}/`]);
    expect(ok).toMatchObject({ code: 0, stdout: "hello via warden proxy\n" });
    const denied = await curl(["-i", "-x", `http://127.0.0.1:${port}`, "http://169.254.169.254/"]);
    expect(denied.stdout).toMatch(/^HTTP\/1\.1 403/);
    expect(denied.stdout).toContain("rule no-metadata");
    const viaSocket = await curl([
      "--proxy",
      `socks5h://claude-code:s9@localhost${socketPath}`,
      `http://127.0.0.1:${originPort}/`,
    ]);
    // curl 7.84+ reaches a SOCKS proxy over a unix socket this way (the sandbox bridge's path).
    expect(viaSocket).toMatchObject({ code: 0, stdout: "hello via warden proxy\n" });

    await until(/deny http ci-agent 169\.254\.169\.254:80 rule no-metadata: Cloud metadata/);
    expect(out).toMatch(
      new RegExp(`allow http ci-agent 127\\.0\\.0\\.1:${originPort} rule test-origin`),
    );

    child.kill("SIGTERM");
    const [code] = await once(child, "exit");
    expect(err).toBe("");
    expect(code).toBe(0);

    const search = cli(["audit", "search", "--pep", "net.proxy", "--json"], env);
    const events = search.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const byEffect = (e: string) =>
      events.filter((x) => x.kind === "net.connect" && x.decision.effect === e);
    // Every allowed connection was on disk as net.open before the proxy connected.
    expect(events.filter((x) => x.kind === "net.open")).toHaveLength(byEffect("allow").length);
    expect(byEffect("deny")[0]).toMatchObject({
      kind: "net.connect",
      principal: { agent: "ci-agent" },
      target: { host: "169.254.169.254", port: 80 },
      decision: { rule: "no-metadata" },
      context: { protocol: "http", outcome: "denied" },
    });
    expect(byEffect("allow")[0]).toMatchObject({
      target: { host: "127.0.0.1", port: originPort, ip: "127.0.0.1" },
      context: { protocol: "http", outcome: "closed" },
    });
    expect(
      events.find((x) => x.kind === "net.connect" && x.principal.agent === "claude-code"),
    ).toMatchObject({
      principal: { session: "s9" },
      context: { protocol: "socks5" },
    });
    expect(cli(["audit", "verify"], env).status).toBe(0);
  });

  it("a bad --listen is a usage error with a hint", () => {
    const r = cli(["proxy", "--listen", "nonsense", "--policy", join(dir, "policy.yaml")], env);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("CLI_BAD_LISTEN");
  });
});
