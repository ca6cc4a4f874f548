/**
 * Who asked, as the operating system sees it, for the self-approval check.
 *
 * On a developer machine the agent and its human run as the same OS user, so the user cannot
 * tell them apart. The process tree can: the gateway records the agent process that started it
 * (its parent, looking through `npx`/`npm exec` wrappers) with that process's start time, and
 * `warden approvals approve` refuses to run as a descendant of it — which is what the agent's own
 * shell tool would be. The start time keeps a reused pid from matching.
 *
 * This is a check against an agent approving its own request through its tools, not a boundary
 * against a process that deliberately escapes its tree (double fork to init): that boundary is
 * the sandbox keeping `$WARDEN_HOME` out of the agent's reach, and a policy denying `warden
 * approvals` to agents.
 */
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import type { Requester } from "./approvals.js";

interface ProcessInfo {
  pid: number;
  ppid: number;
  started: string | null;
  args: string;
}

export function processInfo(pid: number): ProcessInfo | null {
  if (process.platform === "linux") {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
      // The command name (field 2) may hold spaces and parentheses: fields follow the last ")".
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      let args = "";
      try {
        args = readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").join(" ").trim();
      } catch {}
      return { pid, ppid: Number(fields[1]), started: fields[19] ?? null, args };
    } catch {
      return null;
    }
  }
  try {
    const out = execFileSync("ps", ["-o", "ppid=,lstart=,args=", "-p", String(pid)], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }).trim();
    const match = /^(\d+)\s+(\w{3} \w{3}\s+\d+ [\d:]+ \d{4})\s+(.*)$/.exec(out);
    if (match === null) return null;
    return { pid, ppid: Number(match[1]), started: match[2] ?? null, args: match[3] ?? "" };
  } catch {
    return null;
  }
}

const WRAPPER = /(^|[/\s])(npx|npm|pnpm|yarn|bunx)(\.cmd|-cli\.js)?(\s|$)|npm-cli\.js|npx-cli\.js/;

/** The agent process that started this one: the parent, looking through package-runner wrappers. */
export function requesterOf(pid = process.pid): Requester | null {
  let info = processInfo(pid);
  for (let depth = 0; info !== null && depth < 4; depth++) {
    const parent = processInfo(info.ppid);
    if (parent === null || parent.pid <= 1) return null;
    if (!WRAPPER.test(parent.args)) return { pid: parent.pid, started: parent.started };
    info = parent;
  }
  return null;
}

/** Whether `pid` (default: this process) runs inside the requester's process tree. */
export function descendsFrom(requester: Requester, pid = process.pid): boolean {
  let info = processInfo(pid);
  for (let depth = 0; info !== null && depth < 64; depth++) {
    if (
      info.pid === requester.pid &&
      (requester.started === null || info.started === requester.started)
    ) {
      return true;
    }
    if (info.ppid <= 1) return false;
    info = processInfo(info.ppid);
  }
  return false;
}
