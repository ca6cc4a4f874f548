/**
 * The local process at the other end of a loopback TCP connection, for the self-approval check
 * over `--http` (lineage.ts explains the check itself).
 *
 * Linux lists every TCP socket in /proc/net/tcp and tcp6 with its inode; the client's socket is
 * the one whose local end is the connection's remote end and whose remote end is our local end.
 * The process holding that inode is found in /proc/PID/fd, which the kernel shows only for the
 * caller's own processes (or to root) — an agent running as another user is not found, and the
 * check is then off for that session, as it is for a client on another machine.
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import { isIP } from "node:net";
import type { Requester } from "./approvals.js";
import { processInfo, requesterOf } from "./lineage.js";

export interface ConnectionEnds {
  localAddress?: string | undefined;
  localPort?: number | undefined;
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
}

/** Clients that only relay for the agent that started them (mcp-remote, run through npx). */
const RELAY =
  /(^|[/\s])(mcp-remote|supergateway)([/\s.]|$)|(^|[/\s])(npx|npm|pnpm|yarn|bunx)(\s|$)/;

/**
 * The agent behind a loopback connection: the process holding the client's socket, or the agent
 * that started it when that process is only a relay. Null off Linux, off loopback, or when the
 * process cannot be seen.
 */
export function loopbackRequester(ends: ConnectionEnds): Requester | null {
  if (process.platform !== "linux") return null;
  const { localAddress, localPort, remoteAddress, remotePort } = ends;
  if (!localAddress || !remoteAddress || !localPort || !remotePort) return null;
  if (!isLoopback(remoteAddress)) return null;
  const inode = socketInode(
    { address: remoteAddress, port: remotePort },
    { address: localAddress, port: localPort },
  );
  const pid = inode === null ? null : holderOf(inode);
  if (pid === null) return null;
  const info = processInfo(pid);
  if (info === null) return null;
  if (RELAY.test(info.args)) return requesterOf(pid);
  return { pid, started: info.started };
}

function isLoopback(address: string): boolean {
  const v4 = address.startsWith("::ffff:") ? address.slice(7) : address;
  return v4.startsWith("127.") || address === "::1";
}

interface End {
  address: string;
  port: number;
}

/**
 * The inode of the socket whose local end is `local` and remote end `remote`. An IPv4 client
 * socket is in /proc/net/tcp; an IPv6 one in tcp6, where IPv4 ends appear in their mapped form.
 */
function socketInode(local: End, remote: End): string | null {
  const wanted = new Map<string, string>();
  for (const family of [4, 6] as const) {
    const l = procAddress(local, family);
    const r = procAddress(remote, family);
    if (l !== null && r !== null)
      wanted.set(family === 4 ? "/proc/net/tcp" : "/proc/net/tcp6", `${l} ${r}`);
  }
  for (const [table, key] of wanted) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (`${fields[1]} ${fields[2]}` === key) return fields[9] ?? null;
    }
  }
  return null;
}

/**
 * An end as /proc/net/tcp (family 4) or tcp6 (family 6) prints it: the address as the kernel's
 * 32-bit words in host (little-endian) order, in hex, then the port in hex. Null when the address
 * has no form in that table.
 */
function procAddress(end: End, family: 4 | 6): string | null {
  const port = end.port.toString(16).toUpperCase().padStart(4, "0");
  const mapped = end.address.startsWith("::ffff:") ? end.address.slice(7) : end.address;
  const v4 = isIP(mapped) === 4 ? ipv4Bytes(mapped) : null;
  if (family === 4) return v4 === null ? null : `${wordsHex(v4)}:${port}`;
  const bytes =
    v4 === null ? ipv6Bytes(end.address) : [...new Array(10).fill(0), 0xff, 0xff, ...v4];
  return `${wordsHex(bytes)}:${port}`;
}

function ipv4Bytes(address: string): number[] {
  return address.split(".").map(Number);
}

function ipv6Bytes(address: string): number[] {
  const [head, tail] = address.split("::") as [string, string | undefined];
  const groups = (s: string | undefined) =>
    s ? s.split(":").map((g) => Number.parseInt(g, 16)) : [];
  const front = groups(head);
  const back = groups(tail);
  const all = [...front, ...new Array(8 - front.length - back.length).fill(0), ...back];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

/** Each 4-byte word byte-reversed (the kernel prints them as host-order integers). */
function wordsHex(bytes: number[]): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 4) {
    for (const b of bytes.slice(i, i + 4).reverse()) {
      out += b.toString(16).toUpperCase().padStart(2, "0");
    }
  }
  return out;
}

/** The first process (lowest pid) that holds `socket:[inode]` open. */
function holderOf(inode: string): number | null {
  const target = `socket:[${inode}]`;
  const pids = readdirSync("/proc")
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .sort((a, b) => a - b);
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${fd}`) === target) return pid;
      } catch {}
    }
  }
  return null;
}
