import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AuditLog } from "./index.js";
import { Redactor } from "./redact.js";

// Credential-shaped test values, assembled so that no scanner mistakes this file for a leak.
const j = (...parts: string[]) => parts.join("");
const SAMPLES: Array<[type: string, secret: string, text: (s: string) => string]> = [
  ["github", j("ghp_", "A1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6Q7r8"), (s) => `git push https://x/${s}`],
  ["github", j("gho_", "16C7e42F292c6912E7710c838347Ae178B4a"), (s) => `token=${s};`],
  ["github", j("ghs_", "abcdefghijklmnopqrstuvwxyz0123456789"), (s) => `${s}`],
  [
    "github",
    j("github_pat_", "11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz"),
    (s) => `pat ${s} end`,
  ],
  ["gitlab", j("glpat-", "xK9aB3dE5fG7hJ1kL2mN"), (s) => `PRIVATE-TOKEN: ${s}`],
  ["aws_access_key", j("AKIA", "IOSFODNN7EXAMPLE"), (s) => `AWS_ACCESS_KEY_ID=${s}`],
  ["aws_access_key", j("ASIA", "ZZZZ1234567890AB"), (s) => `key ${s} used`],
  [
    "aws_secret",
    j("wJalrXUtnFEMI/K7MDENG/", "bPxRfiCYEXAMPLEKEY"),
    (s) => `aws_secret_access_key = ${s}`,
  ],
  ["slack", j("xoxb-", "1234567890-0987654321-AbCdEfGhIjKl"), (s) => `SLACK=${s}`],
  ["openai", j("sk-", "proj-abcdefghijklmnopqrstuvwxyz012345"), (s) => `OPENAI_KEY: ${s}`],
  ["anthropic", j("sk-", "ant-api03-abcdefghijklmnopqrstuvwxyz-0123"), (s) => `x-key ${s}`],
  ["google", j("AIza", "SyA1234567890abcdefghijklmnopqrstuv"), (s) => `?key=${s}&q=1`],
  [
    "jwt",
    j(
      "eyJhbGciOiJIUzI1NiJ9",
      ".",
      "eyJzdWIiOiIxMjM0NTY3ODkwIn0",
      ".",
      "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ),
    (s) => `cookie session=${s}; path=/`,
  ],
  [
    "private_key",
    j(
      "-----BEGIN ",
      "RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\nabc\n-----END RSA ",
      "PRIVATE KEY-----",
    ),
    (s) => `cat id_rsa\n${s}\ndone`,
  ],
  ["bearer", j("abc.DEF-123_", "456~xyz"), (s) => `curl -H 'Authorisation: Bearer ${s}' x`],
  [
    "url_password",
    j("hunter2", "Pa55"),
    (s) => `git clone https://alice:${s}@git.example.com/r.git`,
  ],
  ["stripe", j("sk_live_", "51H8abcdefghijklmnopqrstuv"), (s) => `stripe ${s}`],
];

describe("redaction", () => {
  it.each(SAMPLES)("replaces a %s credential", (type, secret, text) => {
    const r = new Redactor();
    const out = r.string(text(secret));
    expect(out).not.toContain(secret);
    expect(out).toContain(`[REDACTED:${type}]`);
  });

  it("keeps the context around a redacted credential", () => {
    const r = new Redactor();
    expect(r.string("git clone https://alice:s3cretpw@host/x")).toBe(
      "git clone https://alice:[REDACTED:url_password]@host/x",
    );
    expect(r.string("Authorization: Bearer abcdefgh12345678")).toBe(
      "Authorization: Bearer [REDACTED:bearer]",
    );
  });

  it("replaces values under credential-named keys, at any depth", () => {
    const r = new Redactor();
    const out = r.value({
      password: "pw1",
      db_passwd: "pw2",
      clientSecret: "s",
      GITHUB_TOKEN: "t",
      "x-api-key": "k",
      apiKey: 123456,
      headers: { Authorization: "Basic dXNlcjpwYXNz", Cookie: "sid=1" },
      private_key: { nested: "x" },
      credentials: ["a", "b"],
      max_tokens: 1000,
      has_password: true,
      token_hint: null,
      path: "/home/a",
    });
    expect(out).toEqual({
      password: "[REDACTED:password]",
      db_passwd: "[REDACTED:password]",
      clientSecret: "[REDACTED:secret]",
      GITHUB_TOKEN: "[REDACTED:token]",
      "x-api-key": "[REDACTED:api_key]",
      apiKey: "[REDACTED:api_key]",
      headers: { Authorization: "[REDACTED:authorization]", Cookie: "[REDACTED:cookie]" },
      private_key: "[REDACTED:private_key]",
      credentials: "[REDACTED:credential]",
      max_tokens: 1000,
      has_password: true,
      token_hint: null,
      path: "/home/a",
    });
  });

  it("replaces registered secrets as substrings anywhere, keys included, longest first", () => {
    const r = new Redactor(["opensesame"]);
    r.addSecret("opensesame-extended");
    r.addSecret("");
    expect(
      r.value({ cmd: "echo opensesame-extended && echo xopensesamex", opensesame: 1 }),
    ).toEqual({
      cmd: "echo [REDACTED:secret] && echo x[REDACTED:secret]x",
      "[REDACTED:secret]": 1,
    });
    const n = new Redactor(["424242"]);
    expect(n.value({ pin: 424242, other: 7 })).toEqual({ pin: "[REDACTED:secret]", other: 7 });
  });

  it("leaves ordinary text alone", () => {
    const r = new Redactor();
    for (const text of [
      "git status",
      "npm run build -- --token-file ./t",
      "ask task-manager about skeleton-keys",
      "https://example.com/path?x=1",
      "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ]) {
      expect(r.string(text)).toBe(text);
    }
  });

  it("never lets a secret reach the database file, the WAL or a checkpoint", async () => {
    const home = mkdtempSync(join(tmpdir(), "warden-redact-"));
    const registered = j("correct-horse-", "battery-staple");
    const log = AuditLog.open({ home, secrets: [registered], autoCheckpoint: false });
    const later = j("late-added-", "secret-value");
    log.addSecret(later);
    const secrets = [registered, later, ...SAMPLES.map(([, s]) => s)];
    for (const [i, [, secret, text]] of SAMPLES.entries()) {
      await log.append({
        kind: "exec",
        pep: "hook.test",
        principal: { agent: "agent", user: "alice" },
        // Shapes like a bare AWS secret or URL password are only recognisable in context.
        target: { command: text(secret), argv: ["sh", "-c", text(secret)] },
        context: { env: { SOME_VAR: text(secret) }, note: `uses ${registered} and ${later}`, i },
      });
    }
    log.appendSync({
      kind: "mcp.call",
      pep: "mcp.gateway",
      principal: { agent: "agent" },
      target: { server: "s", tool: "t", args: { password: registered, q: later } },
    });
    log.checkpoint();
    const hits = (bytes: Buffer) => secrets.filter((s) => bytes.includes(Buffer.from(s)));
    const files = () => readdirSync(home).map((f) => readFileSync(join(home, f)));
    for (const bytes of files()) expect(hits(bytes)).toEqual([]); // live: db + WAL
    expect(log.search({ text: "REDACTED" }).length).toBe(SAMPLES.length + 1);
    expect(log.verify().ok).toBe(true);
    log.close();
    for (const bytes of files()) expect(hits(bytes)).toEqual([]);
  });
});
