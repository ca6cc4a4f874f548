/**
 * `warden run` fails closed on its audit log: a log that cannot be opened stops the run before
 * CMD starts (bubblewrap and Landlock alike), and a log that fills up mid-run refuses every
 * connection the policy allows from then on, the run ending non-zero with the audit error.
 * The full log is real: WARDEN_HOME on a small tmpfs (mounted in a user and mount namespace of
 * the test's own, `unshare -Urm`) that the test fills while CMD waits on a FIFO.
 */
import { once } from "node:events";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI, type CliResult, runAsync } from "./cli.js";

let dir: string;
let ws: string;
let home: string;
let policy: string;
let origin: http.Server;
let port: number;
const seen: string[] = [];

function run(command: string, args: string[], env: Record<string, string>): Promise<CliResult> {
  return runAsync(command, args, {
    cwd: ws,
    env: { PATH: process.env.PATH ?? "", HOME: home, ...env },
  });
}

beforeAll(async () => {
  dir = mkdtempSync("/var/tmp/warden-audit-fail-");
  ws = join(dir, "ws");
  home = join(dir, "user");
  mkdirSync(ws);
  mkdirSync(home);
  policy = join(dir, "policy.yaml");
  writeFileSync(
    policy,
    `apiVersion: warden/v1
kind: Policy
metadata: { name: run-audit-unwritable, version: "1" }
defaults: { exec: allow, dynamic: allow, fs.read: allow, fs.write: allow, net.connect: deny, cred.use: deny }
rules:
  - id: test-origin
    kind: net.connect
    allow: ["127.0.0.1"]
`,
  );
  origin = http.createServer((req, res) => {
    seen.push(req.url ?? "");
    res.end("origin\n");
  });
  origin.listen(0, "127.0.0.1");
  await once(origin, "listening");
  port = (origin.address() as AddressInfo).port;
});

afterAll(() => {
  origin.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("warden run with an audit log it cannot write", () => {
  it.each(["bwrap", "landlock"])(
    "does not start CMD when the log cannot be opened (%s)",
    async (mechanism) => {
      // A WARDEN_HOME that is a file cannot hold a log, even for root (who ignores file modes).
      const blocked = join(dir, `home-is-a-file-${mechanism}`);
      writeFileSync(blocked, "");
      const r = await run(
        process.execPath,
        [CLI, "run", "--policy", policy, "--workspace", ws, "--", "sh", "-c", "echo ran > ran.txt"],
        { WARDEN_HOME: blocked, WARDEN_SANDBOX: mechanism },
      );
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("AUDIT_UNAVAILABLE: cannot open the audit log");
      expect(r.stderr).toContain("nothing runs unrecorded");
      expect(r.stderr).not.toContain("internal error");
      expect(existsSync(join(ws, "ran.txt"))).toBe(false);
    },
  );

  it("refuses connections once the log fills up mid-run, and exits non-zero", async () => {
    const warden = join(dir, "warden-tmpfs");
    mkdirSync(warden);
    for (const fifo of ["fill-request", "filled"]) {
      const made = await run("mkfifo", [join(ws, fifo)], {});
      expect(made.status).toBe(0);
    }
    const inside = [
      `curl -sS -o /dev/null -w "first=%{http_code}\\n" http://127.0.0.1:${port}/first`,
      "echo > fill-request",
      "read x < filled",
      `curl -sS -i http://127.0.0.1:${port}/second`,
      'echo "curl=$?"',
    ].join("; ");
    const outside = [
      `mount -t tmpfs -o size=2m tmpfs "$WARDEN_HOME"`,
      `"$NODE" "$CLI" run --policy "$POLICY" --workspace "$WS" -- sh -c '${inside}' &`,
      "run=$!",
      'read x < "$WS/fill-request"',
      'dd if=/dev/zero of="$WARDEN_HOME/filler" bs=64k 2>/dev/null',
      'echo > "$WS/filled"',
      'wait "$run"',
      'echo "warden=$?"',
    ].join("\n");
    const r = await run("unshare", ["-Urm", "sh", "-c", outside], {
      WARDEN_HOME: warden,
      NODE: process.execPath,
      CLI,
      POLICY: policy,
      WS: ws,
    });
    expect(r.stdout).toContain("first=200\n");
    // The proxy could not record the second connection, so it refused it (503, Warden's reason).
    expect(r.stdout).toMatch(/^HTTP\/1\.1 503/m);
    expect(r.stdout).toContain("audit log cannot be written");
    expect(seen).toEqual(["/first"]);
    // The exit event cannot be recorded either: warden run says so and does not report success.
    expect(r.stdout).toMatch(/^warden=[1-9]/m);
    expect(r.stderr).toMatch(/warden: AUDIT_STORE_FULL/);
  });
});
