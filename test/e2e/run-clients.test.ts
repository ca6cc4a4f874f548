/**
 * Real clients inside `warden run`, beside the curl tests of run-sandbox.test.ts: `git clone`
 * over smart HTTP (git-http-backend behind a small CGI server on loopback) through the proxy's
 * forward path, and a node client tunnelling with CONNECT through HTTPS_PROXY. Allowed hosts
 * work, a denied one fails with Warden's reason, a direct connection fails. One sandbox start.
 */
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, cli } from "./cli.js";

let dir: string;
let ws: string;
let env: Record<string, string>;
let server: http.Server;
let port: number;
let stdout = "";
const requests: string[] = [];

/** A CONNECT client as an agent's tooling would write one: HTTPS_PROXY, credentials and all. */
const CONNECT_CLIENT = `import http from "node:http";
const proxy = new URL(process.env.HTTPS_PROXY);
const target = new URL(process.argv[2]);
const auth = Buffer.from(decodeURIComponent(proxy.username) + ":" + decodeURIComponent(proxy.password)).toString("base64");
http.request({ host: proxy.hostname, port: proxy.port, method: "CONNECT", path: target.hostname + ":" + (target.port || 80),
  headers: { "Proxy-Authorization": "Basic " + auth } })
  .on("connect", (res, socket, head) => {
    if (res.statusCode !== 200) {
      let body = head.toString();
      socket.on("data", (c) => (body += c)).on("end", () => { console.log("connect " + res.statusCode + " " + res.headers["x-warden-rule"] + " " + body.trim()); process.exit(2); });
      return;
    }
    http.get({ createConnection: () => socket, host: target.hostname, path: target.pathname }, (r) => {
      let body = "";
      r.on("data", (c) => (body += c)).on("end", () => { console.log("tunnel " + r.statusCode + " " + body.trim()); process.exit(0); });
    });
  })
  .on("error", (e) => { console.log("error " + e.code); process.exit(1); })
  .end();
`;

/** git-http-backend as CGI: the request's method, path and body in, its headers and body out. */
function gitBackend(root: string): http.Server {
  return http.createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    requests.push(`${req.method} ${url.pathname}`);
    const cgi = spawn("git", ["http-backend"], {
      env: {
        PATH: process.env.PATH ?? "",
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: "1",
        REQUEST_METHOD: req.method ?? "GET",
        PATH_INFO: url.pathname,
        QUERY_STRING: url.search.slice(1),
        CONTENT_TYPE: req.headers["content-type"] ?? "",
        REMOTE_ADDR: "127.0.0.1",
      },
    });
    req.pipe(cgi.stdin);
    const chunks: Buffer[] = [];
    cgi.stdout.on("data", (c: Buffer) => chunks.push(c));
    cgi.on("close", () => {
      const out = Buffer.concat(chunks);
      const end = out.indexOf("\r\n\r\n");
      const head = out.subarray(0, end).toString().split("\r\n");
      let status = 200;
      const headers: Record<string, string> = {};
      for (const line of head) {
        const [name, ...rest] = line.split(":");
        const value = rest.join(":").trim();
        if (name?.toLowerCase() === "status") status = Number.parseInt(value, 10);
        else if (name) headers[name] = value;
      }
      res.writeHead(status, headers);
      res.end(out.subarray(end + 4));
    });
  });
}

beforeAll(async () => {
  dir = mkdtempSync("/var/tmp/warden-clients-");
  ws = join(dir, "ws");
  mkdirSync(ws);
  env = { WARDEN_HOME: join(dir, "warden"), HOME: join(dir, "home") };
  mkdirSync(env.HOME as string);
  const src = join(dir, "src");
  const git = (...args: string[]) =>
    execFileSync("git", args, {
      env: { ...process.env, ...env, GIT_CONFIG_NOSYSTEM: "1" },
      stdio: "pipe",
    });
  git("init", "-q", "-b", "main", src);
  writeFileSync(join(src, "README.md"), "served over smart HTTP\n");
  git("-C", src, "add", "README.md");
  git("-C", src, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-qm", "first commit");
  git("clone", "-q", "--bare", src, join(dir, "repos", "project.git"));

  server = gitBackend(join(dir, "repos"));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  port = (server.address() as AddressInfo).port;
  writeFileSync(join(ws, "connect-client.mjs"), CONNECT_CLIENT);
  const policy = join(dir, "policy.yaml");
  writeFileSync(
    policy,
    `apiVersion: warden/v1
kind: Policy
metadata: { name: run-clients, version: "1" }
defaults: { exec: allow, fs.read: allow, fs.write: allow, net.connect: deny, mcp.call: ask, cred.use: deny }
rules:
  - id: git-server
    kind: net.connect
    allow: ["127.0.0.1:${port}"]
  - id: no-metadata
    kind: net.connect
    deny: ["169.254.169.254"]
    reason: Cloud metadata is never reachable from an agent.
`,
  );
  const noProxy =
    "env -u http_proxy -u HTTP_PROXY -u https_proxy -u HTTPS_PROXY -u all_proxy -u ALL_PROXY";
  const script = [
    `git clone -q http://127.0.0.1:${port}/project.git cloned; echo "clone=$?"`,
    `git -C cloned log --format='log=%s' -1; cat cloned/README.md`,
    `git clone -q http://169.254.169.254/project.git denied 2>&1; echo "denied-clone=$?"`,
    `${noProxy} git clone -q http://127.0.0.1:${port}/project.git direct 2>&1; echo "direct-clone=$?"`,
    `node connect-client.mjs http://127.0.0.1:${port}/project.git/HEAD`,
    `node connect-client.mjs http://169.254.169.254/latest/meta-data/`,
    `node -e 'require("http").get("http://127.0.0.1:${port}/project.git/HEAD", () => console.log("direct-node=reached")).on("error", (e) => console.log("direct-node=" + e.code))'`,
  ].join("\n");
  const child = spawn(
    process.execPath,
    [CLI, "run", "--policy", policy, "--workspace", ws, "--agent", "git-agent", "--"].concat([
      "sh",
      "-c",
      script,
    ]),
    { cwd: ws, env: { PATH: process.env.PATH ?? "", ...env } },
  );
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString();
  });
  child.stderr.resume();
  await once(child, "close");
}, 60_000);

afterAll(() => {
  server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("real clients inside warden run", () => {
  it("git clones over smart HTTP through the proxy", () => {
    expect(stdout).toContain("clone=0");
    expect(stdout).toContain("log=first commit");
    expect(stdout).toContain("served over smart HTTP");
    expect(requests).toContain("GET /project.git/info/refs");
    expect(requests).toContain("POST /project.git/git-upload-pack");
  });

  it("git gets Warden's 403 for a denied host, with the rule and reason in the audit", () => {
    expect(stdout).toMatch(
      /remote: Warden denied this connection \(rule no-metadata\): Cloud metadata is never reachable[\s\S]*The requested URL returned error: 403\ndenied-clone=128/,
    );
    const events = cli(["audit", "search", "--pep", "net.proxy", "--json"], env)
      .stdout.trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    const denied = events.find((e) => e.target.host === "169.254.169.254" && e.target.port === 80);
    expect(denied).toMatchObject({
      principal: { agent: "git-agent" },
      decision: {
        effect: "deny",
        rule: "no-metadata",
        reason: expect.stringContaining("Cloud metadata"),
      },
    });
  });

  it("a node client tunnels with CONNECT through HTTPS_PROXY, and is refused with the reason", () => {
    expect(stdout).toContain("tunnel 200 ref: refs/heads/main");
    expect(stdout).toMatch(
      /connect 403 no-metadata Warden denied this connection \(rule no-metadata\): Cloud metadata is never reachable/,
    );
  });

  it("git and node without the proxy reach nothing", () => {
    expect(stdout).toMatch(/Failed to connect to 127\.0\.0\.1 port \d+[\s\S]*direct-clone=128/);
    expect(stdout).toContain("direct-node=ECONNREFUSED");
    expect(requests.filter((r) => r.startsWith("GET /project.git/info/refs")).length).toBe(1);
  });
});
