/**
 * The auditor's story through the CLI: an attacker with disk access rewrites a deny into an allow
 * in the SQLite file; `warden audit verify` exits 1 and names the event.
 */
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { expect, it } from "vitest";
import { cli, tempDir } from "./cli.js";

it("audit verify catches a deny rewritten as allow, even with the leaf hash recomputed", () => {
  const dir = tempDir();
  const env = { WARDEN_HOME: join(dir, "home"), HOME: join(dir, "user") };
  expect(cli(["init"], env).status).toBe(0);
  for (const cmd of ["git status", "sudo cat /etc/shadow", "ls -la", "npm test"]) {
    cli(["decide", "--exec", cmd], env);
  }
  const kept = join(dir, "kept.cp");
  writeFileSync(kept, cli(["audit", "checkpoint"], env).stdout);
  expect(cli(["audit", "verify"], env).status).toBe(0);

  const db = new Database(join(env.WARDEN_HOME, "audit.db"));
  const row = db
    .prepare("SELECT seq, body FROM events WHERE effect = 'deny' ORDER BY seq LIMIT 1")
    .get() as { seq: number; body: string };
  const forged = row.body.replace('"effect":"deny"', '"effect":"allow"');
  expect(forged).not.toBe(row.body);
  const leaf = createHash("sha256")
    .update(Buffer.from([0]))
    .update(forged)
    .digest();
  db.prepare("UPDATE events SET body = ?, effect = 'allow', leaf_hash = ? WHERE seq = ?").run(
    forged,
    leaf,
    row.seq,
  );
  db.close();

  const r = cli(["audit", "verify", "--checkpoint", kept], env);
  expect(r.status).toBe(1);
  expect(r.stdout).toContain(`first bad entry is seq ${row.seq}`);
  const json = JSON.parse(cli(["audit", "verify", "--json"], env).stdout);
  expect(json.ok).toBe(false);
  expect(json.problems[0].seq).toBe(row.seq);
});
