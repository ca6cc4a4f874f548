import { once } from "node:events";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { cli, cliSpawn, EXAMPLES, tempDir } from "./cli.js";

let dir: string;
let env: Record<string, string>;

function decide(...args: string[]) {
  return cli(["decide", "--json", ...args], env);
}
function events(...filters: string[]) {
  const r = cli(["audit", "search", "--json", "--limit", "1000", ...filters], env);
  expect(r.status).toBe(0);
  return r.stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
}

beforeAll(() => {
  dir = tempDir();
  env = { WARDEN_HOME: join(dir, "home"), HOME: join(dir, "user") };
  const r = cli(["init"], env);
  expect(r.status).toBe(0);
  expect(r.stdout).toContain("installed the coding-agent starter policy");
});

describe("warden decide", () => {
  it("exits 0 on allow, 2 on deny, 3 on ask, and records each decision", () => {
    expect(decide("--exec", "git status").status).toBe(0);
    expect(decide("--read", "~/.ssh/id_rsa").status).toBe(2);
    expect(decide("--exec", "git push origin main", "--agent", "claude-code").status).toBe(3);
    const recorded = events("--agent", "claude-code");
    expect(recorded).toHaveLength(1);
    expect(recorded[0]).toMatchObject({
      kind: "exec",
      pep: "cli.decide",
      principal: { agent: "claude-code" },
      target: { command: "git push origin main" },
      decision: { effect: "ask", rule: "publishing-needs-review" },
    });
    expect(recorded[0].latencyUs).toBeGreaterThan(0);
  });

  it("finds the project's .warden/policy.yaml before $WARDEN_HOME's", () => {
    const project = join(dir, "strict-project");
    const policyDir = join(project, ".warden");
    cli(["init"], { ...env, WARDEN_HOME: policyDir });
    writeFileSync(
      join(policyDir, "policy.yaml"),
      "apiVersion: warden/v1\nkind: Policy\nmetadata: { name: strict, version: '1' }\n" +
        "defaults: { exec: deny }\n",
    );
    const r = cli(["decide", "--json", "--exec", "git status"], env, join(project));
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout).policy.name).toBe("strict");
  });

  it("denies and records the event when the policy does not load", () => {
    const broken = join(dir, "broken.yaml");
    writeFileSync(
      broken,
      "apiVersion: warden/v1\nkind: Policy\nrules: [ {id: x, kind: exec, allow: \n",
    );
    const r = cli(
      ["decide", broken, "--json", "--exec", "git status", "--agent", "broken-policy"],
      env,
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("POLICY_INVALID");
    expect(JSON.parse(r.stdout)).toMatchObject({ effect: "deny", rule: null });
    const [event] = events("--agent", "broken-policy");
    expect(event.decision.effect).toBe("deny");
    expect(event.decision.reason).toContain("policy unavailable");
  });

  it("denies when no policy can be found, and says how to add one", () => {
    const home = join(dir, "empty-home");
    const r = cli(["decide", "--exec", "ls"], { ...env, WARDEN_HOME: home }, dir);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("POLICY_NOT_FOUND");
    expect(r.stderr).toContain("warden init");
  });

  it("denies and records a malformed request", () => {
    const r = decide("--connect", "example.com", "--agent", "bad-input");
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("REQUEST_INVALID");
    const [event] = events("--agent", "bad-input");
    expect(event.kind).toBe("invalid");
    expect(event.decision.effect).toBe("deny");
  });

  it("denies an allowed request when the audit log cannot be written", () => {
    // A WARDEN_HOME that is a file cannot hold a log, even for root (who ignores file modes).
    const blocked = join(dir, "not-a-dir");
    writeFileSync(blocked, "");
    const policy = join(EXAMPLES, "coding-agent.yaml");
    const r = cli(["decide", policy, "--json", "--exec", "git status"], {
      ...env,
      WARDEN_HOME: blocked,
    });
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout).reason).toContain("audit log unavailable");
    expect(r.stderr).toContain("AUDIT_");
  });

  it("keeps secrets in MCP arguments out of the log file", () => {
    const token = "ghp_abcdefghijklmnopqrstuvwxyz0123456789";
    const r = decide(
      "--mcp",
      "github/create_issue",
      "--args",
      JSON.stringify({ title: "x", auth: `token ${token}`, password: "hunter2-very-secret" }),
      "--agent",
      "leaky",
    );
    expect(r.status).toBe(3);
    const [event] = events("--agent", "leaky");
    expect(JSON.stringify(event)).not.toContain(token);
    expect(JSON.stringify(event)).not.toContain("hunter2-very-secret");
    const db = readFileSync(join(env.WARDEN_HOME as string, "audit.db"));
    const wal = join(env.WARDEN_HOME as string, "audit.db-wal");
    const bytes = Buffer.concat([db, existsSync(wal) ? readFileSync(wal) : Buffer.alloc(0)]);
    expect(bytes.includes(token)).toBe(false);
    expect(bytes.includes("hunter2-very-secret")).toBe(false);
  });
});

describe("warden audit", () => {
  it("checkpoints, verifies, proves inclusion and consistency checkable with only proof, checkpoint and key", () => {
    const first = cli(["audit", "checkpoint"], env);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/^warden\.local\/.+\n\d+\n[A-Za-z0-9+/=]{44}\n\n— /);
    const oldCp = join(dir, "old.cp");
    writeFileSync(oldCp, first.stdout);
    const oldSize = Number(first.stdout.split("\n")[1]);

    decide("--exec", "ls -la");
    decide("--exec", "npm test");
    const second = cli(["audit", "checkpoint"], env);
    const newCp = join(dir, "new.cp");
    writeFileSync(newCp, second.stdout);
    const key = join(dir, "key.vkey");
    writeFileSync(key, cli(["audit", "pubkey"], env).stdout);

    const verify = cli(["audit", "verify", "--checkpoint", oldCp, "--pubkey", key], env);
    expect(verify.stdout).toMatch(/^ok: \d+ events, \d+ checkpoints verified/);
    expect(verify.status).toBe(0);

    const inclusion = cli(["audit", "prove", "1"], env);
    expect(inclusion.status).toBe(0);
    const proofFile = join(dir, "inclusion.json");
    writeFileSync(proofFile, inclusion.stdout);
    // No WARDEN_HOME: the check needs nothing from the store.
    const noStore = { HOME: join(dir, "auditor") };
    const check = cli(
      ["audit", "check-proof", proofFile, "--checkpoint", newCp, "--pubkey", key],
      noStore,
    );
    expect(check.stdout).toContain("ok: event 1 is in the log");
    expect(check.status).toBe(0);

    const consistency = cli(["audit", "prove", "--consistency", String(oldSize)], env);
    const consistencyFile = join(dir, "consistency.json");
    writeFileSync(consistencyFile, consistency.stdout);
    const checkC = cli(
      [
        "audit",
        "check-proof",
        consistencyFile,
        "--checkpoint",
        oldCp,
        "--checkpoint",
        newCp,
        "--pubkey",
        key,
      ],
      noStore,
    );
    expect(checkC.stdout).toContain("extends");
    expect(checkC.status).toBe(0);

    // A proof checked against a checkpoint it does not belong to fails.
    const wrong = cli(
      ["audit", "check-proof", proofFile, "--checkpoint", oldCp, "--pubkey", key],
      noStore,
    );
    expect(wrong.status).toBe(1);
  });

  it("searches by effect, rule, kind, time and text, and exports every event as JSON lines", () => {
    const denies = events("--effect", "deny");
    expect(denies.length).toBeGreaterThan(0);
    expect(denies.every((e) => e.decision.effect === "deny")).toBe(true);
    expect(events("--rule", "secrets-stay-home").every((e) => e.target.path.includes(".ssh"))).toBe(
      true,
    );
    expect(events("--kind", "fs.read", "--since", "1h").length).toBeGreaterThan(0);
    expect(events("--since", "2099-01-01T00:00:00Z")).toHaveLength(0);
    expect(events("--text", "npm test")).toHaveLength(1);

    const table = cli(["audit", "search", "--effect", "ask"], env);
    expect(table.stdout.split("\n")[0]).toMatch(
      /^SEQ\s+TIME\s+KIND\s+EFFECT\s+AGENT\s+RULE\s+TARGET$/,
    );

    const exported = cli(["audit", "export", "--format", "jsonl"], env);
    const lines = exported.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines.map((e) => e.seq)).toEqual(lines.map((_, i) => i));
    expect(cli(["audit", "export", "--format", "csv"], env).status).toBe(1);
    expect(cli(["audit", "search", "--since", "yesterday-ish"], env).stderr).toContain(
      "CLI_BAD_TIME",
    );
  });

  it("tail -f prints events appended by another process", async () => {
    const child = cliSpawn(["audit", "tail", "-f", "-n", "0", "--json"], env);
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    const lines = (stream: NodeJS.ReadableStream, needle: string) =>
      new Promise<string>((resolve, reject) => {
        let text = "";
        stream.on("data", (chunk: string) => {
          text += chunk;
          if (text.includes(needle)) resolve(text);
        });
        stream.on("end", () => reject(new Error(`ended before "${needle}": ${text}`)));
      });
    const printed = lines(child.stdout, "followed-agent");
    try {
      await lines(child.stderr, "following");
      expect(decide("--exec", "ls", "--agent", "followed-agent").status).toBe(0);
      const out = await printed;
      const first = JSON.parse(out.trim().split("\n")[0] as string);
      expect(first.principal.agent).toBe("followed-agent");
    } finally {
      child.kill("SIGINT");
      await once(child, "exit");
    }
  });
});
