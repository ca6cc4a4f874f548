/**
 * `warden secrets` through the built CLI: values come in on a pipe, a no-echo terminal prompt
 * (a real pty from util-linux `script`) or a named variable, and leave no trace outside the
 * encrypted store: not in `list`, the audit log, messages or the files beside it.
 */
import { spawn, spawnSync } from "node:child_process";
import { chmodSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CLI, cli, tempDir } from "./cli.js";

const VALUE = "crm-token-5b0e7d2a91";

function setup() {
  const home = tempDir("warden-secrets-");
  const env = { WARDEN_HOME: home };
  const run = (args: string[], input?: string, extra: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [CLI, "secrets", ...args], {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env, ...extra },
      encoding: "utf8",
      input: input ?? "",
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const auditText = () => cli(["audit", "export"], env).stdout;
  /** Every byte under WARDEN_HOME except the store itself, which holds the value encrypted. */
  const filesText = () =>
    readdirSync(home)
      .filter((f) => f !== "secrets.enc")
      .map((f) => readFileSync(join(home, f)).toString("latin1"))
      .join("\n");
  return { home, env, run, auditText, filesText };
}

describe("warden secrets", () => {
  it("stores a piped value, lists names and times only, and audits names only", () => {
    const s = setup();
    const set = s.run(["set", "crm-token"], `${VALUE}\n`);
    expect(set.status).toBe(0);
    expect(set.stderr).toBe("stored secret crm-token\n");
    expect(s.run(["set", "crm-token"], VALUE).stderr).toBe("replaced secret crm-token\n");

    const list = s.run(["list"]);
    expect(list.stdout).toMatch(/^NAME\s+CREATED\s+UPDATED\ncrm-token\s+20\d\d-/);
    const json = s
      .run(["list", "--json"])
      .stdout.trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(json).toEqual([
      { name: "crm-token", created: expect.any(String), updated: expect.any(String) },
    ]);
    expect(json[0].updated >= json[0].created).toBe(true);

    const audit = s.auditText();
    const events = audit
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(events.map((e) => [e.kind, e.target.name, e.context.change])).toEqual([
      ["secret.change", "crm-token", "set"],
      ["secret.change", "crm-token", "set"],
    ]);
    for (const text of [audit, list.stdout, set.stdout, set.stderr, s.filesText()]) {
      expect(text).not.toContain(VALUE);
    }
    const rm = s.run(["rm", "crm-token"]);
    expect(rm.status).toBe(0);
    expect(s.run(["list"]).stdout).toMatch(/^no secrets/);
  });

  it("takes --from-env VAR, and never the value as an argument", () => {
    const s = setup();
    expect(s.run(["set", "api", "--from-env", "API_TOKEN"], "", { API_TOKEN: VALUE }).status).toBe(
      0,
    );
    const unset = s.run(["set", "api", "--from-env", "NOT_SET"]);
    expect(unset.status).toBe(1);
    expect(unset.stderr).toContain("CREDS_EMPTY_VALUE: environment variable NOT_SET is not set");
    const asArgument = s.run(["set", "api", VALUE]);
    expect(asArgument.status).not.toBe(0);
    expect(asArgument.stderr).toContain("too many arguments");
    expect(s.auditText()).not.toContain(VALUE);
  });

  it("refuses bad input with a code: empty value, bad name, missing name, exposed key", () => {
    const s = setup();
    const empty = s.run(["set", "a"], "");
    expect([empty.status, empty.stderr]).toEqual([
      1,
      expect.stringContaining("CREDS_EMPTY_VALUE: no value for a was given"),
    ]);
    const badName = s.run(["set", "a b"], VALUE);
    expect([badName.status, badName.stderr]).toEqual([
      1,
      expect.stringContaining("CREDS_BAD_NAME"),
    ]);
    const missing = s.run(["rm", "nope"]);
    expect([missing.status, missing.stderr]).toEqual([
      1,
      expect.stringContaining("CREDS_NO_SECRET: there is no secret named nope"),
    ]);
    const failed = JSON.parse(s.auditText().trim().split("\n").at(-1)!);
    expect(failed.context).toMatchObject({
      change: "rm",
      outcome: "failed",
      error: "CREDS_NO_SECRET",
    });

    expect(s.run(["set", "a"], VALUE).status).toBe(0);
    chmodSync(join(s.home, "secret.key"), 0o644);
    const exposed = s.run(["list"]);
    expect([exposed.status, exposed.stderr]).toEqual([
      1,
      expect.stringContaining("CREDS_KEY_INSECURE"),
    ]);
    expect(exposed.stderr).toContain("chmod 600");
  });

  it("keeps every one of several values set at the same time", async () => {
    const s = setup();
    const names = ["a", "b", "c", "d", "e"];
    const codes = await Promise.all(
      names.map((name) => {
        const child = spawn(process.execPath, [CLI, "secrets", "set", name], {
          env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...s.env },
        });
        child.stdin.end(`value-${name}`);
        return new Promise<number | null>((done) => child.on("close", done));
      }),
    );
    expect(codes).toEqual([0, 0, 0, 0, 0]);
    const listed = s.run(["list", "--json"]).stdout.trim().split("\n");
    expect(listed.map((l) => JSON.parse(l).name)).toEqual(names);
  });

  it("prompts on a terminal without echoing what is typed", async () => {
    const s = setup();
    // `script` gives the command a real pty; the value is typed only once the prompt is shown.
    const child = spawn(
      "script",
      ["-qec", `${process.execPath} ${CLI} secrets set typed`, "/dev/null"],
      {
        env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...s.env },
      },
    );
    let out = "";
    let typed = false;
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8");
      if (!typed && out.includes("value for typed: ")) {
        typed = true;
        child.stdin.write(`${VALUE}\r`);
      }
    });
    const code = await new Promise<number | null>((done) => child.on("close", done));
    expect(code).toBe(0);
    expect(out).toContain("stored secret typed");
    expect(out).not.toContain(VALUE);
    const get = spawnSync(
      process.execPath,
      [
        "--input-type=module",
        "-e",
        `const { SecretStore } = await import(${JSON.stringify(join(CLI, "../../creds/index.js"))});
         process.stdout.write(SecretStore.open().get("typed") ?? "");`,
      ],
      { env: { ...process.env, ...s.env }, encoding: "utf8" },
    );
    expect(get.stdout).toBe(VALUE);
  });
});
