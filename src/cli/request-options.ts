/** The request shorthands shared by `policy explain` and `decide`. */
import type { Command } from "commander";

export function addRequestOptions(command: Command): Command {
  return command
    .option("--exec <command>", "a command line the agent wants to run")
    .option("--read <path>", "a file the agent wants to read")
    .option("--write <path>", "a file the agent wants to write")
    .option("--connect <host:port>", "a network destination (host:port, [v6]:port)")
    .option("--mcp <server/tool>", "an MCP tool call")
    .option("--args <json>", "arguments of the MCP tool call, as a JSON object")
    .option("--cred <name:scope>", "a credential use")
    .option("--request <json>", "a whole request object as JSON (see DESIGN.md)")
    .option("--agent <name>", "the agent making the request", "cli")
    .option("--user <name>", "the user the agent acts for")
    .option("--group <name>", "a group of the user (repeatable)", collect, [])
    .option("--workspace <dir>", "the workspace the agent works in (expands ${workspace})")
    .option("--cwd <dir>", "the working directory of the request")
    .option("--session <id>", "the agent session");
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}
