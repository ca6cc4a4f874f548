/**
 * The same scenarios for every agent: each runs the real CLI once against a fresh scripted model
 * server and a fresh machine layout, with Warden's real hook installed by `warden install <agent>
 * --scope project` (run in the workspace under the fake HOME, as a user would), and checks what
 * happened on disk, what the model was sent back, and what the audit log holds.
 *
 * A shell command is decided per command and file access it implies (the bash analysis in
 * src/shell): `echo ok > allowed.txt` is `echo` plus a write in the workspace, both allowed;
 * `cat ~/.ssh/id_rsa` is an allowed `cat` plus a denied read of the key.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  type AuditEvent,
  auditEvents,
  type Machine,
  makeMachine,
  type RunResult,
  report,
  TEST_TIMEOUT_MS,
  wardenInstall,
} from "./harness.js";
import {
  lastToolResult,
  type ModelServer,
  type ScriptStep,
  startModelServer,
} from "./model-server.js";

export interface AgentDriver {
  /** The name `warden hook` takes, and the pep suffix of its audit events. */
  agent: string;
  label: string;
  /** A script step calling the agent's shell tool. */
  shell(command: string): ScriptStep;
  /** A script step calling the agent's own file-read tool, if it has one. */
  readFile?(path: string): ScriptStep;
  /** Writes the agent's own config (provider, offline switches); the hook comes from `warden install`. */
  setup(machine: Machine, server: ModelServer): void;
  run(machine: Machine, server: ModelServer, prompt: string): Promise<RunResult>;
}

interface Played {
  machine: Machine;
  server: ModelServer;
  run: RunResult;
  /** Everything a failure message needs. */
  why: string;
  /** What the agent sent back after the scripted tool call. */
  toolResult: string;
}

/** Policy reasons (see harness.policyYaml): they must reach the model with the denial. */
const TOUCH_REASON = "This test never lets the agent create files with touch.";
const SECRET_REASON = "Credentials are brokered by Warden, never read from disk.";

export function describeAgent(driver: AgentDriver): void {
  describe(`${driver.label} with Warden's hook (warden hook ${driver.agent})`, () => {
    const cleanups: (() => Promise<void> | void)[] = [];
    afterEach(async () => {
      for (const cleanup of cleanups.splice(0)) await cleanup();
    });

    /** One tool call, then a final answer; `withHook` false runs the agent without Warden. */
    async function play(
      label: string,
      step: (machine: Machine) => ScriptStep,
      withHook = true,
    ): Promise<Played> {
      const machine = makeMachine(`${driver.agent}-${label}`);
      const server = await startModelServer({
        script: [step(machine), { text: "All done." }],
      });
      cleanups.push(
        () => server.close(),
        () => machine.cleanup(),
      );
      driver.setup(machine, server);
      if (withHook) await wardenInstall(machine, driver.agent);
      const run = await driver.run(machine, server, "Please run the scripted step.");
      const after = server.mainRequests().find((r) => r.step === 1);
      const toolResult = after ? lastToolResult(after) : "";
      const why = `${report(run, server.describe())}\n--- tool result sent to the model\n${toolResult}`;
      // The agent played the whole script: one tool call, its result went back, a final answer.
      expect(run.timedOut, why).toBe(false);
      expect(
        server.mainRequests().map((r) => r.step),
        why,
      ).toEqual([0, 1]);
      return { machine, server, run, why, toolResult };
    }

    async function hookEvents(played: Played): Promise<AuditEvent[]> {
      const events = await auditEvents(played.machine);
      return events.filter((e) => e.pep === `hook.${driver.agent}`);
    }

    it(
      "runs an allowed command (mkdir made-by-agent) and logs the allow",
      async () => {
        const played = await play("allow", () => driver.shell("mkdir made-by-agent"));
        const { machine, why } = played;
        expect(existsSync(join(machine.workspace, "made-by-agent")), why).toBe(true);
        const events = await hookEvents(played);
        expect(events, `${why}\n${JSON.stringify(events, null, 1)}`).toHaveLength(1);
        expect(events[0]?.decision).toMatchObject({ effect: "allow", rule: "everyday-commands" });
        expect(JSON.stringify(events[0])).toContain("made-by-agent");
      },
      TEST_TIMEOUT_MS,
    );

    it(
      "runs an allowed command with a redirection into the workspace (echo ok > allowed.txt)",
      async () => {
        const played = await play("redirect", () => driver.shell("echo ok > allowed.txt"));
        const { machine, why } = played;
        const written = join(machine.workspace, "allowed.txt");
        expect(existsSync(written) && readFileSync(written, "utf8"), why).toBe("ok\n");
        const events = await hookEvents(played);
        expect(events, why).toHaveLength(1);
        expect(events[0]?.decision).toMatchObject({ effect: "allow" });
      },
      TEST_TIMEOUT_MS,
    );

    it(
      "never reads a secret through the shell (cat ~/.ssh/id_rsa), though `cat *` is allowed",
      async () => {
        const played = await play("secret-shell", () => driver.shell("cat ~/.ssh/id_rsa"));
        const { machine, server, why, toolResult } = played;
        expect(server.allBodies().includes(machine.secretMarker), why).toBe(false);
        expect(toolResult, why).toContain(SECRET_REASON);
        const events = await hookEvents(played);
        expect(events, why).toHaveLength(1);
        expect(events[0]?.decision).toMatchObject({ effect: "deny", rule: "secrets-stay-home" });
      },
      TEST_TIMEOUT_MS,
    );

    it(
      "never runs a denied command (touch SENTINEL), tells the model why, and logs the deny",
      async () => {
        const played = await play("deny", (m) => driver.shell(`touch ${m.sentinel}`));
        const { machine, why, toolResult } = played;
        expect(existsSync(machine.sentinel), why).toBe(false);
        expect(toolResult, why).toContain(TOUCH_REASON);
        const events = await hookEvents(played);
        expect(events, `${why}\n${JSON.stringify(events, null, 1)}`).toHaveLength(1);
        expect(events[0]?.decision).toMatchObject({ effect: "deny", rule: "no-touching" });
        expect(JSON.stringify(events[0])).toContain("SENTINEL");
      },
      TEST_TIMEOUT_MS,
    );

    const readFile = driver.readFile;
    if (readFile) {
      it(
        "never reads a secret through the agent's own file tool (a credentials file in the workspace)",
        async () => {
          // In the workspace: Gemini CLI refuses paths outside it before any hook runs.
          const played = await play("secret-read", (m) => readFile(m.envPath));
          const { machine, server, why, toolResult } = played;
          expect(server.allBodies().includes(machine.secretMarker), why).toBe(false);
          expect(toolResult, why).toContain(SECRET_REASON);
          const events = await hookEvents(played);
          expect(events, why).toHaveLength(1);
          expect(events[0]?.decision).toMatchObject({ effect: "deny", rule: "secrets-stay-home" });
        },
        TEST_TIMEOUT_MS,
      );
    }

    it(
      "control: without the hook, the agent runs the very same denied command",
      async () => {
        const played = await play("control", (m) => driver.shell(`touch ${m.sentinel}`), false);
        expect(existsSync(played.machine.sentinel), played.why).toBe(true);
      },
      TEST_TIMEOUT_MS,
    );
  });
}
