/**
 * SOCKS5 (RFC 1928) server side, just enough for an egress proxy: no-auth and username/password
 * (RFC 1929) methods, the CONNECT command, IPv4, IPv6 and domain-name targets (remote DNS: the
 * proxy resolves names, so the client never needs to). BIND and UDP ASSOCIATE are refused with
 * 0x07; SOCKS4/4a requests get the SOCKS4 "rejected" reply.
 */
import type { Socket } from "node:net";

export const SOCKS_REPLY = {
  succeeded: 0x00,
  generalFailure: 0x01,
  notAllowed: 0x02,
  networkUnreachable: 0x03,
  hostUnreachable: 0x04,
  connectionRefused: 0x05,
  ttlExpired: 0x06,
  commandNotSupported: 0x07,
  addressTypeNotSupported: 0x08,
} as const;

const COMMANDS: Record<number, string> = { 1: "CONNECT", 2: "BIND", 3: "UDP ASSOCIATE" };

export interface SocksRequest {
  /** Username and password when the client authenticated (RFC 1929). */
  user?: { name: string; password: string };
  command: string;
  host: string;
  port: number;
}

/** A handshake the client got wrong: the reply is already sent. */
export class SocksRefusal extends Error {
  constructor(
    message: string,
    readonly target?: { host: string; port: number },
  ) {
    super(message);
  }
}

/** Reads exactly n bytes (rejects if the socket ends or closes first). */
export function readBytes(socket: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const attempt = (): void => {
      const chunk = socket.read(n) as Buffer | null;
      if (chunk === null) return;
      cleanup();
      if (chunk.length < n) reject(new Error("connection closed mid-handshake"));
      else resolve(chunk);
    };
    const closed = (): void => {
      cleanup();
      reject(new Error("connection closed mid-handshake"));
    };
    const cleanup = (): void => {
      socket.off("readable", attempt);
      socket.off("end", closed);
      socket.off("close", closed);
    };
    socket.on("readable", attempt);
    socket.once("end", closed);
    socket.once("close", closed);
    attempt();
  });
}

/** Greeting, method choice, optional user/pass, and the request. */
export async function socks5Handshake(socket: Socket): Promise<SocksRequest> {
  const [, count] = await readBytes(socket, 2);
  const methods = await readBytes(socket, count!);
  let user: SocksRequest["user"];
  if (methods.includes(0x02)) {
    // Username/password is preferred: it carries the agent's identity.
    socket.write(Buffer.from([0x05, 0x02]));
    const [version, nameLength] = await readBytes(socket, 2);
    const name = (await readBytes(socket, nameLength!)).toString("utf8");
    const [passwordLength] = await readBytes(socket, 1);
    const password = (await readBytes(socket, passwordLength!)).toString("utf8");
    if (version !== 0x01) {
      socket.end(Buffer.from([0x01, 0x01]));
      throw new SocksRefusal(`bad username/password sub-negotiation version ${version}`);
    }
    socket.write(Buffer.from([0x01, 0x00]));
    user = { name, password };
  } else if (methods.includes(0x00)) {
    socket.write(Buffer.from([0x05, 0x00]));
  } else {
    socket.end(Buffer.from([0x05, 0xff]));
    throw new SocksRefusal("no acceptable SOCKS5 authentication method offered");
  }

  const [version, command, , type] = await readBytes(socket, 4);
  if (version !== 0x05) {
    socket.end(reply(SOCKS_REPLY.generalFailure));
    throw new SocksRefusal(`bad SOCKS version ${version} in request`);
  }
  let host: string;
  if (type === 0x01) host = [...(await readBytes(socket, 4))].join(".");
  else if (type === 0x04) {
    const b = await readBytes(socket, 16);
    const groups: string[] = [];
    for (let i = 0; i < 16; i += 2) groups.push(b.readUInt16BE(i).toString(16));
    host = groups.join(":");
  } else if (type === 0x03) {
    const [length] = await readBytes(socket, 1);
    host = (await readBytes(socket, length!)).toString("latin1");
  } else {
    socket.end(reply(SOCKS_REPLY.addressTypeNotSupported));
    throw new SocksRefusal(`unsupported SOCKS5 address type ${type}`);
  }
  const port = (await readBytes(socket, 2)).readUInt16BE(0);
  const name = COMMANDS[command!] ?? `0x${command!.toString(16)}`;
  if (name !== "CONNECT") {
    socket.end(reply(SOCKS_REPLY.commandNotSupported));
    throw new SocksRefusal(`SOCKS5 command ${name} is not supported, only CONNECT`, {
      host,
      port,
    });
  }
  return { ...(user === undefined ? {} : { user }), command: name, host, port };
}

/** A SOCKS5 reply; the bound address is left 0.0.0.0:0 (clients do not use it for CONNECT). */
export function reply(code: number): Buffer {
  return Buffer.from([0x05, code, 0x00, 0x01, 0, 0, 0, 0, 0, 0]);
}

/** What a SOCKS4/4a request asked for, as far as its first bytes tell. */
export function socks4Target(first: Buffer): { host: string; port: number } | undefined {
  if (first.length < 8) return undefined;
  const port = first.readUInt16BE(2);
  const ip = [...first.subarray(4, 8)];
  let host = ip.join(".");
  if (ip[0] === 0 && ip[1] === 0 && ip[2] === 0 && ip[3] !== 0) {
    // SOCKS4a: USERID NUL HOSTNAME NUL
    const userEnd = first.indexOf(0, 8);
    const hostEnd = userEnd < 0 ? -1 : first.indexOf(0, userEnd + 1);
    if (hostEnd > userEnd) host = first.subarray(userEnd + 1, hostEnd).toString("latin1");
  }
  return { host, port };
}

/** SOCKS4 "request rejected or failed". */
export const SOCKS4_REJECTED = Buffer.from([0x00, 0x5b, 0, 0, 0, 0, 0, 0]);
