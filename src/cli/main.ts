#!/usr/bin/env node
/**
 * The `warden` command. Each subcommand's module is imported only when it runs, so that a hook
 * call (a process per agent tool call) pays for nothing it does not use.
 */
import type { CommanderError, Command as CommandType } from "commander";

// `warden hook` takes a path that loads neither commander nor the engine when the user's warm
// daemon answers (hook-client.ts); `warden daemon` is that daemon. A plain hook call never gets
// past this block; anything else (help, a usage error) goes on to commander below.
if (process.argv[2] === "hook") {
  try {
    const { runHook } = await import("./hook-client.js");
    if (await runHook(process.argv.slice(3))) {
      // Answered, or being answered in process (which always ends the process itself, by its
      // deadline at the latest): wait for that, with deny as the exit code if anything slips.
      process.exitCode = 2;
      setInterval(() => {}, 1 << 30);
      await new Promise(() => {});
    }
  } catch (error) {
    // Never an exit code the agent reads as "proceed".
    const reason = error instanceof Error ? error.message : String(error);
    process.stderr.write(`Warden denied this call: Warden failed: ${reason}\n`);
    process.exit(2);
  }
}

// `warden run` in its usual exact form skips commander too (run-args.ts); anything else, help
// included, goes on to commander below.
if (process.argv[2] === "run") {
  const { parseRunArgs } = await import("./run-args.js");
  const parsed = parseRunArgs(process.argv.slice(3));
  if (parsed !== null) {
    try {
      // bubblewrap's probe runs while run's modules load (~100 ms); run() takes its answer.
      if (process.env.WARDEN_SANDBOX !== "landlock") {
        const { probeSandbox } = await import("../exec/sandbox/index.js");
        void probeSandbox(process.env.WARDEN_BWRAP ?? "bwrap");
      }
      const { run } = await import("./run-command.js");
      process.exitCode = await run(parsed.command, parsed.options);
    } catch (error) {
      const { reportError, EXIT } = await import("./output.js");
      reportError(error);
      process.exitCode = EXIT.failure;
    }
    // Done (the audit flushed, the proxy closed; stderr is synchronous on pipes and terminals):
    // nothing below may run, as commander would parse the line again.
    process.exit();
  }
}

const { Command } = await import("commander");
const { addRequestOptions } = await import("./request-options.js");

type Action = (...args: never[]) => number | Promise<number>;

/** Wraps a lazily imported action: coded errors print as `warden: CODE: message`, exit 1. */
function run<M>(load: () => Promise<M>, pick: (m: M) => Action) {
  return async (...args: unknown[]): Promise<void> => {
    try {
      const action = pick(await load()) as (...a: unknown[]) => number | Promise<number>;
      // commander passes (...positionals, options, command); actions take positionals + options.
      process.exitCode = await action(...args.slice(0, -1));
    } catch (error) {
      const { reportError, EXIT } = await import("./output.js");
      reportError(error);
      // `warden hook` must never end with a code the agent reads as "proceed".
      process.exitCode = process.argv[2] === "hook" ? EXIT.deny : EXIT.failure;
    }
  };
}

const policyCommands = () => import("./policy-commands.js");
const auditCommands = () => import("./audit-commands.js");

const program = new Command("warden")
  .description(
    "Governance for AI agents: one policy for what they execute and call, and a log that cannot be rewritten.",
  )
  .version("0.1.0")
  .showHelpAfterError("(add --help for usage)")
  .addHelpText(
    "after",
    `
Start here:
  warden init                                   install the starter policy and the audit log
  warden decide --exec "git push origin main"   decide one request and record it
  warden audit tail                             see what was decided
  warden audit verify                           prove the log was not rewritten

Exit codes of \`warden decide\`: 0 allow, 2 deny, 3 ask, 1 error.`,
  );

program
  .command("init")
  .description(
    "install a starter policy in $WARDEN_HOME (default ~/.warden) and create the audit log",
  )
  .option("--policy <name>", "starter policy: coding-agent or business-agent", "coding-agent")
  .option("--force", "replace a policy already installed")
  .action(
    run(
      () => import("./init-command.js"),
      (m) => m.init,
    ),
  );

addRequestOptions(
  program
    .command("decide")
    .argument(
      "[policy]",
      "policy file (default: $WARDEN_POLICY, .warden/policy.yaml, $WARDEN_HOME/policy.yaml)",
    )
    .description(
      "decide one request, append it to the audit log, and exit 0 allow / 2 deny / 3 ask",
    )
    .option("--json", "print the Decision object"),
).action(
  run(
    () => import("./decide-command.js"),
    (m) => m.decide,
  ),
);

program
  .command("hook")
  .argument("<agent>", "claude-code, cursor, gemini-cli or codex")
  .description(
    "answer an agent's hook call: read its payload on stdin, decide, audit, reply in its format",
  )
  .option(
    "--policy <file>",
    "policy file (default: $WARDEN_POLICY, .warden/policy.yaml, $WARDEN_HOME)",
  )
  .option("--timeout <seconds>", "deny if no decision is made within this time", "5")
  .option(
    "--sandbox-commands",
    "rewrite allowed shell commands to `warden run -- bash -c '<cmd>'` (Claude Code, Gemini CLI, Codex; or WARDEN_SANDBOX_COMMANDS=1)",
  )
  .option(
    "--no-daemon",
    "decide in this process, never through the warm daemon (managed installs; or WARDEN_DAEMON=0)",
  )
  .addHelpText(
    "after",
    `
The agent runs this for you once \`warden install <agent>\` has added it to its settings.

What each agent is asked about, and how Warden answers:
  claude-code  PreToolUse: Bash, Read, Write, Edit, MultiEdit, NotebookEdit, Glob, Grep, LS,
               WebFetch, WebSearch, mcp__<server>__<tool>. Answers permissionDecision
               allow/ask/deny; a deny also exits 2 with the reason on stderr.
  cursor       beforeShellExecution, beforeMCPExecution (allow/ask/deny), beforeReadFile
               (allow/deny: ask becomes deny). Answers { permission, user_message, agent_message }.
  gemini-cli   BeforeTool: run_shell_command, read_file, write_file, replace, glob, grep_search,
               list_directory, read_many_files, web_fetch, google_web_search, MCP tools.
               Answers { decision: allow/ask/deny, reason }.
  codex        PreToolUse: Bash, apply_patch, mcp__<server>__<tool>. Codex has no "ask" for
               hooks, so ask becomes deny with a reason saying a human must approve.

It fails closed: a payload it cannot read, no policy, a broken policy, an audit log it cannot
write, a crash or the --timeout all answer deny (exit 2). Every answer is one audit event
(pep hook.<agent>); see them with \`warden audit search --pep hook.claude-code\`.

Try it:
  echo '{"hook_event_name":"PreToolUse","session_id":"s1","cwd":"/tmp","tool_name":"Bash","tool_input":{"command":"git status"}}' \\
    | warden hook claude-code`,
  )
  // The agent runs this line: a usage error must still block the call (exit 2), never exit 1.
  .exitOverride((error: CommanderError) => {
    process.exit(error.exitCode === 0 ? 0 : 2);
  })
  .action(
    run(
      () => import("./hook-command.js"),
      (m) => m.hook,
    ),
  );

program
  .command("daemon")
  .description(
    "the warm hook decider `warden hook` starts in the background (exits when idle; WARDEN_DAEMON=0 turns it off)",
  )
  .action(
    run(
      () => import("./daemon.js"),
      (m) => m.daemon,
    ),
  );

const installCommands = () => import("./install-command.js");
for (const [name, what] of [
  ["install", "add Warden's hook to an agent's settings (idempotent, keeps a backup)"],
  ["uninstall", "take Warden's hook out again: restore the backup, or remove just its entries"],
] as const) {
  program
    .command(name)
    .argument("<agent>", "claude-code, cursor, gemini-cli or codex")
    .description(what)
    .option("--scope <scope>", "user, project or managed", "user")
    .option("--settings-dir <dir>", "write the settings file in this directory instead")
    .option(
      "--sandbox-commands",
      "install the hook with --sandbox-commands (see warden hook --help)",
    )
    .option("--json", "print what was done as JSON")
    .addHelpText(
      "after",
      `
Settings files:
  claude-code  user ~/.claude/settings.json   project .claude/settings.json
               managed /etc/claude-code/managed-settings.json (users cannot override it; also sets
               permissions.disableBypassPermissionsMode "disable" and sandbox.allowUnsandboxedCommands false)
  cursor       user ~/.cursor/hooks.json      project .cursor/hooks.json  (entries carry failClosed: true)
  gemini-cli   user ~/.gemini/settings.json   project .gemini/settings.json
               managed /etc/gemini-cli/settings.json
  codex        user ~/.codex/hooks.json       project .codex/hooks.json

install keeps the original as <file>.warden-backup; uninstall restores it if the file is unchanged
since install, and otherwise removes only Warden's entries.

Examples:
  warden install claude-code
  warden install claude-code --scope managed
  warden uninstall cursor --scope project`,
    )
    .action(run(installCommands, (m) => (name === "install" ? m.install : m.uninstall)));
}

program
  .command("proxy")
  .description(
    "run the egress proxy: HTTP forward, CONNECT and SOCKS5 on one port, each connection decided and audited",
  )
  .option("--listen <host:port>", "TCP address (default 127.0.0.1:3128; port 0 picks a free one)")
  .option("--socket <path>", "also (or only) listen on this unix socket")
  .option(
    "--policy <file>",
    "policy file (default: $WARDEN_POLICY, .warden/policy.yaml, $WARDEN_HOME)",
  )
  .option("--report-only", "log what would be denied and let it through (audit marks those events)")
  .option("--agent <name>", "the agent for clients that send no proxy credentials", "unknown")
  .option("--session <id>", "the session for clients that send no proxy credentials")
  .option("--json", "one JSON line per decision")
  .addHelpText(
    "after",
    `
Clients name themselves with proxy credentials: http://AGENT:SESSION@127.0.0.1:3128 (Basic) or
socks5h://AGENT:SESSION@127.0.0.1:3128. Loopback, private, link-local and metadata addresses are
refused unless an allow rule names an IP or CIDR inside that range (see docs/egress-proxy.md).`,
  )
  .action(
    run(
      () => import("./proxy-command.js"),
      (m) => m.proxy,
    ),
  );

program
  .command("run")
  .argument("<command...>", "the command and its arguments, after --")
  .description(
    "run a command under bubblewrap (or Landlock): read-only system, writable workspace, no network but Warden's egress proxy",
  )
  .option(
    "--policy <file>",
    "policy file (default: $WARDEN_POLICY, .warden/policy.yaml, $WARDEN_HOME)",
  )
  .option("--workspace <dir>", "the writable directory (default: the current directory)")
  .option("--agent <name>", "the agent named in the audit and the proxy credentials", "unknown")
  .option(
    "--report-only",
    "record what would be refused (the command, connections) and let it run: for rollout",
  )
  .addHelpText(
    "after",
    `
Example: warden run --agent claude-code -- claude
CMD itself is decided first, like an agent's hook decides it: deny or ask refuses it (exit 126).
Needs bubblewrap (apt-get install bubblewrap). Where bubblewrap cannot start (not installed, user
namespaces refused) it confines CMD with Landlock through python3 instead, with no network at all,
and says so. WARDEN_SANDBOX=bwrap or =landlock picks one. With neither it refuses to run CMD,
unless the policy says \`sandbox: optional\` (then CMD runs unconfined, with a warning and an audit
record). Exit code is the command's (128+N when signal N ended it). See docs/sandbox.md.`,
  )
  .action(
    run(
      () => import("./run-command.js"),
      (m) => m.run,
    ),
  );

const policy = program.command("policy").description("write, check and test policies");
policy
  .command("lint")
  .argument("<files...>", "policy files")
  .description("check policy files: exit 0 clean, 1 on errors (or warnings with --strict)")
  .option("--strict", "fail on warnings too")
  .option("--json", "print diagnostics as JSON")
  .action(run(policyCommands, (m) => m.lint));
addRequestOptions(
  policy
    .command("explain")
    .argument("<file>", "policy file")
    .description(
      "show how the policy decides one request: the effect, the deciding rule, every match",
    )
    .option("--json", "print the Decision object"),
)
  .addHelpText(
    "after",
    `
Examples:
  warden policy explain policy.yaml --exec "git push origin main"
  warden policy explain policy.yaml --read ~/.ssh/id_rsa
  warden policy explain policy.yaml --mcp gmail/send_email --args '{"to":["x@example.com"]}' --group eng`,
  )
  .action(run(policyCommands, (m) => m.explain));
policy
  .command("test")
  .argument("<file>", "policy file")
  .argument("<tests>", "YAML test cases (see examples/policies/*.tests.yaml)")
  .description("run test cases against a policy; exit 1 if any fails")
  .option("--json", "print the report as JSON")
  .action(run(policyCommands, (m) => m.test));
policy
  .command("import")
  .argument("<format>", "claude-code, codex or gemini")
  .argument(
    "<file>",
    "the agent's rules: settings.json, a Codex .rules file, a Gemini policy .toml",
  )
  .description(
    "turn an agent's own permission rules into a Warden policy, with a report of what did not map",
  )
  .option("-o, --output <file>", "write the policy YAML here instead of stdout")
  .option("--tests <file>", "codex: write the rules' match / not_match examples as Warden tests")
  .option("--name <name>", "metadata.name of the policy (default imported-<format>)")
  .option("--json", "print the policy (unless -o) and the report as one JSON object")
  .addHelpText(
    "after",
    `
The report (stderr) lists every rule that could not be mapped and every place where Warden will
not decide exactly as the agent does; exit 0 when the import succeeded, 1 when the input cannot
be read or parsed (with file:line:column).

Examples:
  warden policy import claude-code .claude/settings.json -o .warden/policy.yaml
  warden policy import codex ~/.codex/rules/default.rules -o codex.yaml --tests codex.tests.yaml
  warden policy test codex.yaml codex.tests.yaml
  warden policy import gemini ~/.gemini/policies/my-rules.toml --name team-gemini`,
  )
  .action(
    run(
      () => import("./import-command.js"),
      (m) => m.importCommand,
    ),
  );

const audit = program
  .command("audit")
  .description("inspect and verify the tamper-evident audit log");
audit
  .command("checkpoint")
  .description("sign the current tree head and print it (C2SP tlog-checkpoint)")
  .option("--json", "print size, root hash and note as JSON")
  .action(run(auditCommands, (m) => m.checkpoint));
audit
  .command("pubkey")
  .description("print the verifier key of the log's checkpoints")
  .action(run(auditCommands, (m) => m.pubkey));
audit
  .command("verify")
  .description(
    "recompute the tree from the stored events and check every checkpoint; exit 1 if tampered",
  )
  .option("--checkpoint <file>", "also check a checkpoint kept elsewhere (repeatable)", collect, [])
  .option("--pubkey <file>", "verify signatures with this verifier key instead of the log's own")
  .option("--json", "print the result as JSON")
  .action(run(auditCommands, (m) => m.verify));
audit
  .command("prove")
  .argument("[seq]", "the event to prove included")
  .description(
    "print an inclusion proof for an event, or a consistency proof between two tree sizes",
  )
  .option("--size <n>", "tree size to prove against (default: the latest checkpoint)")
  .option(
    "--consistency <sizes...>",
    "OLD [NEW]: prove the log of size NEW extends the one of size OLD",
  )
  .action(run(auditCommands, (m) => m.prove));
audit
  .command("check-proof")
  .argument("<proof>", "a proof file written by `warden audit prove`")
  .description("verify a proof using only the proof, checkpoint(s) and verifier key")
  .requiredOption(
    "--checkpoint <file>",
    "the checkpoint (twice for consistency: old, new)",
    collect,
    [],
  )
  .requiredOption("--pubkey <file>", "the verifier key (`warden audit pubkey`)")
  .action(run(auditCommands, (m) => m.checkProof));

function searchOptions(command: CommandType): CommandType {
  return command
    .option("--kind <kind>", "exec, fs.read, fs.write, net.connect, mcp.call, cred.use")
    .option("--effect <effect>", "allow, ask or deny")
    .option("--agent <name>", "the agent")
    .option("--user <name>", "the user")
    .option("--rule <id>", "the deciding rule")
    .option("--pep <name>", "the enforcement point (cli.decide, hook.claude-code, …)")
    .option("--since <time>", "from a time: 15m, 1h, 2d or an ISO date")
    .option("--until <time>", "up to a time")
    .option("--text <text>", "free text anywhere in the event")
    .option("--json", "one JSON event per line");
}
searchOptions(audit.command("search").description("find events"))
  .option("--limit <n>", "at most this many events (default 100)")
  .action(run(auditCommands, (m) => m.search));
searchOptions(audit.command("tail").description("show the latest events; -f keeps following"))
  .option("-n, --lines <n>", "how many of the latest events", "20")
  .option("-f, --follow", "print new events as they are appended")
  .action(run(auditCommands, (m) => m.tail));
audit
  .command("export")
  .description("write every event in order")
  .option("--format <format>", "jsonl", "jsonl")
  .option("-o, --output <file>", "write to a file instead of stdout")
  .action(run(auditCommands, (m) => m.exportEvents));

const mcpCommands = () => import("./mcp-command.js");
const mcp = program.command("mcp").description("govern an agent's MCP servers through one gateway");
mcp
  .command("serve")
  .description(
    "serve the servers of an mcpServers config as one governed MCP server (stdio, or --http)",
  )
  .requiredOption(
    "--config <file>",
    "mcpServers JSON: .mcp.json, claude_desktop_config.json, .cursor/mcp.json",
  )
  .option(
    "--policy <file>",
    "policy file (default: $WARDEN_POLICY, .warden/policy.yaml, $WARDEN_HOME/policy.yaml)",
  )
  .option(
    "--agent <name>",
    "the agent, as policies and the audit log name it (stdio; over HTTP each token names one)",
    "mcp",
  )
  .option("--approval-timeout <duration>", "how long an ask waits for an answer (default 5m)")
  .option(
    "--http <host:port>",
    "serve streamable HTTP at http://HOST:PORT/mcp instead of stdio (a bare port: loopback)",
  )
  .option("--allow-remote", "let --http listen on an address other than loopback")
  .option(
    "--allowed-host <name>",
    "also accept this Host/Origin name over HTTP (repeatable; loopback names always)",
    collect,
    [],
  )
  .addHelpText(
    "after",
    `
Point your agent at Warden instead of at its servers:
  claude mcp add warden -- warden mcp serve --config .mcp.json --agent claude-code

Or serve several agents over HTTP, each with its own token (its agent is the principal):
  warden mcp tokens add ci-bot --agent release-bot      prints the token once
  warden mcp serve --config .mcp.json --http 127.0.0.1:8765
  claude mcp add --transport http warden http://127.0.0.1:8765/mcp \\
    --header "Authorization: Bearer <token>"
A request without an active token gets 401; a Host or Origin that is not this server, 403.

Tools appear as server__tool. Each tools/call is decided as an mcp.call request
(pattern "server/tool", arguments in \`args\` for when: conditions); a prompt (server__prompt)
as tool prompts/get with args {name, arguments}; a resource read as tool resources/read with
args {uri}, sent to the server that listed the URI:
  allow  forwarded to the upstream; its result comes back unchanged
  deny   not forwarded; the agent gets an error naming the rule and the reason
  ask    the user is asked in the client (elicitation) if it can; otherwise the call waits in
         the approval queue (\`warden approvals list\`) until answered or expired (deny)
tools/list leaves out tools the policy denies whatever the arguments. No policy, or a broken
one, denies every call. Every call is one audit event (\`warden audit search --pep mcp.gateway\`).

Credentials: an upstream's env values and headers may name a secret from Warden's store
(\`warden secrets set NAME\`) as \${secret:NAME}; it is put in when the upstream starts, and a
missing one keeps that upstream down. A credential in a call's arguments (a held secret, or an AWS,
GitHub, GitLab, Slack, OpenAI, Anthropic, Google or Stripe token, a JWT, a private key) is decided
as cred.use NAME:server/tool, denied unless a rule allows it; one in a result is redacted.

Warden-only options may sit beside mcpServers in the same file:
  "warden": { "approvalTimeout": "5m", "callTimeout": "60s", "maxMessageSize": "4MiB",
              "credentialsInResults": "redact" }     or "block": withhold the whole result
A message over maxMessageSize, from the agent or a stdio server, is refused with a JSON-RPC
error (413 over HTTP); a line that is not JSON-RPC gets an error and the gateway keeps serving.`,
  )
  .action(run(mcpCommands, (m) => m.serve));
const tokenCommands = () => import("./mcp-tokens-command.js");
const tokens = mcp
  .command("tokens")
  .description("bearer tokens for clients of `warden mcp serve --http`")
  .addHelpText(
    "after",
    `
Each HTTP client gets its own token; the token's agent is the principal its calls are decided
and audited as. The token is printed once; $WARDEN_HOME/mcp-tokens.json (mode 0600) keeps its
SHA-256 only. A running gateway sees a revocation on the token's next request.

Examples:
  warden mcp tokens add ci-bot --agent release-bot
  warden mcp tokens list
  warden mcp tokens revoke ci-bot`,
  );
tokens
  .command("add")
  .argument("<name>", "the client's name (letters, digits, . _ @ -)")
  .description("make a token for a client and print it once")
  .option("--agent <agent>", "the agent its calls are decided as (default: the name)")
  .option("--json", "print name, agent, created and the token as JSON")
  .action(run(tokenCommands, (m) => m.add));
tokens
  .command("list")
  .description("show the tokens (never the token itself)")
  .option("--all", "include revoked tokens")
  .option("--json", "one JSON object per line")
  .action(run(tokenCommands, (m) => m.list));
tokens
  .command("revoke")
  .argument("<name>", "the client's name")
  .description("stop a token from working, at once and for good")
  .option("--json", "print the revoked entry as JSON")
  .action(run(tokenCommands, (m) => m.revoke));
const pins = mcp
  .command("pins")
  .description("review and approve tools whose definition changed (rug pulls)")
  .addHelpText(
    "after",
    `
The gateway pins each tool's definition (name, description, input schema) the first time it sees
it. A tool whose definition later changes is withheld from tools/list and its calls are denied
until someone has read the new definition and approved it:
  warden mcp pins list --changed
  warden mcp pins show github__create_issue
  warden mcp pins approve github__create_issue
Each approval is an audit event (kind mcp.pin) with the old and new hashes.`,
  );
pins
  .command("list")
  .description("the pinned tools; CHANGED marks those withheld")
  .option("--server <name>", "only this server's tools")
  .option("--changed", "only the tools whose definition changed")
  .option("--json", "print a JSON array")
  .action(run(mcpCommands, (m) => m.pinsList));
pins
  .command("show")
  .argument("<tool>", "the tool as the agent sees it: server__tool")
  .description("print the pinned definition and, if it changed, the new one")
  .option("--json", "print the pin as JSON")
  .action(run(mcpCommands, (m) => m.pinsShow));
pins
  .command("approve")
  .argument("<tool>", "the tool as the agent sees it: server__tool")
  .description("accept a changed definition as the tool's new pin")
  .option("--json", "print the old and new definition hashes as JSON")
  .action(run(mcpCommands, (m) => m.pinsApprove));
mcp
  .command("trust", { hidden: true })
  .argument("<tool>", "server__tool")
  .description("the former name of `warden mcp pins approve`")
  .option("--json", "print the old and new definition hashes as JSON")
  .action(run(mcpCommands, (m) => m.pinsApprove));

const secretCommands = () => import("./secrets-command.js");
const secrets = program
  .command("secrets")
  .description("hold the credentials MCP upstreams get, encrypted, out of the agent's reach")
  .addHelpText(
    "after",
    `
Secrets live in $WARDEN_HOME/secrets.enc (AES-256-GCM), keyed by $WARDEN_HOME/secret.key (0600;
a key others can read is refused). An upstream in the gateway's mcpServers config names one in
its env or headers, and gets the value only when it is started; the agent never sees it:

  "crm": { "command": "crm-mcp", "env": { "CRM_TOKEN": "\${secret:crm-token}" } }
  "api": { "url": "https://api.example/mcp", "headers": { "Authorization": "Bearer \${secret:api}" } }

A value is never an argument (ps and shell history would keep it). Every change is an audit event
naming the secret, never its value.

Examples:
  warden secrets set crm-token                      prompts, without echo
  op read op://vault/crm/token | warden secrets set crm-token
  warden secrets set crm-token --from-env CRM_TOKEN
  warden secrets list --json
  warden secrets rm crm-token`,
  );
secrets
  .command("set")
  .argument("<name>", "letters, digits, '_', '.' and '-'")
  .description("store a secret: the value from a pipe, a no-echo prompt, or --from-env")
  .option("--from-env <var>", "take the value from this environment variable")
  .action(run(secretCommands, (m) => m.set));
secrets
  .command("list")
  .description("show the names held and when they were set (never the values)")
  .option("--json", "one JSON object per line: name, created, updated")
  .action(run(secretCommands, (m) => m.list));
secrets
  .command("rm")
  .argument("<name>", "the secret to delete")
  .description("delete a secret (an error if there is none by that name)")
  .action(run(secretCommands, (m) => m.rm));

const approvalCommands = () => import("./approvals-command.js");
const approvals = program
  .command("approvals")
  .description("answer the requests waiting for a human (policy effect ask)")
  .addHelpText(
    "after",
    `
An approval answers one exact request (its digest: kind, principal, target and arguments); an
edited call is a new request. The approver is the OS user running the command. The agent that
asked cannot answer its own request: the command refuses to run inside its process tree.

Examples:
  warden approvals list
  warden approvals approve k3m9x2ab
  warden approvals approve k3m9x2ab --for 10m     the same request again within 10 minutes
  warden approvals approve k3m9x2ab --uses 3      this call and two more identical ones
  warden approvals deny k3m9x2ab --reason "not on a Friday"`,
  );
approvals
  .command("list")
  .description("show pending requests (--all: answered and expired ones too)")
  .option("--all", "include answered and expired requests")
  .option("--json", "one JSON object per line")
  .action(run(approvalCommands, (m) => m.list));
for (const [name, what] of [
  ["approve", "let a waiting request proceed"],
  ["deny", "refuse a waiting request"],
] as const) {
  const command = approvals
    .command(name)
    .argument("<id>", "the request id from `warden approvals list`")
    .description(what)
    .option("--reason <text>", "recorded, and shown to the agent");
  if (name === "approve") {
    command
      .option("--for <duration>", "also grant the same request for this long (10m, 1h)")
      .option("--uses <n>", "grant the same request this many times, this call included");
  }
  command
    .option("--json", "print the answered request as JSON")
    .action(run(approvalCommands, (m) => (name === "approve" ? m.approve : m.deny)));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

// `warden audit export | head`: a closed pipe ends the command quietly, as it does for cat.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(process.exitCode ?? 0);
  throw error;
});

program.exitOverride((error: CommanderError) => {
  // A hook line the agent runs with a usage error must still block the call: exit 2, not 64.
  const hookCall = process.argv[2] === "hook";
  process.exit(error.exitCode === 0 ? 0 : hookCall ? 2 : 64);
});
await program.parseAsync(process.argv);
