/**
 * The handshake with a real child process over a real IPC channel (the bridge's side in node -e):
 * a listener handed over is served and the child told to go on; anything else fails closed.
 */
import { spawn } from "node:child_process";
import net from "node:net";
import { describe, expect, it } from "vitest";
import { acceptBridge } from "./handoff.js";

function child(code: string) {
  return spawn(process.execPath, ["-e", code], { stdio: ["ignore", "pipe", "inherit", "ipc"] });
}

const LISTENER = `
const s = require("node:net").createServer();
s.listen(0, "127.0.0.1", () => {
  const port = s.address().port;
  process.once("message", (m) => {
    s.close();
    process.disconnect();
    const c = require("node:net").connect(port, "127.0.0.1");
    c.on("data", (d) => { process.stdout.write(m.warden + ":" + d); c.end(); });
  });
  process.send({ warden: "listener" }, s);
});`;

describe("acceptBridge", () => {
  it("serves the handed-over listener before the child goes on", async () => {
    const c = child(LISTENER);
    let out = "";
    c.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    const served: net.Server[] = [];
    const ok = await acceptBridge(c, async (listener) => {
      // The child's copy is still open here; connections queue until this server accepts.
      const server = net.createServer((s) => s.end("served by the host"));
      await new Promise<void>((resolve) => server.listen(listener, resolve));
      served.push(server);
    });
    expect(ok).toBe(true);
    await new Promise((resolve) => c.on("close", resolve));
    expect(out).toBe("ready:served by the host");
    for (const s of served) s.close();
  });

  it("refuses a message that is not the listener", async () => {
    const c = child(`process.send({ warden: "hello" }); setTimeout(() => {}, 5000);`);
    await expect(acceptBridge(c, async () => {})).rejects.toMatchObject({
      code: "SANDBOX_BRIDGE",
      message: expect.stringContaining("unexpected message"),
    });
    c.kill();
  });

  it("refuses a listener message without a socket", async () => {
    const c = child(`process.send({ warden: "listener" }); setTimeout(() => {}, 5000);`);
    await expect(acceptBridge(c, async () => {})).rejects.toMatchObject({
      code: "SANDBOX_BRIDGE",
      message: expect.stringContaining("no listening socket"),
    });
    c.kill();
  });

  it("fails closed when the proxy cannot serve the listener, and never says go", async () => {
    const c = child(`${LISTENER}; setTimeout(() => {}, 5000);`);
    let out = "";
    c.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
    });
    await expect(
      acceptBridge(c, () => Promise.reject(new Error("audit log not writable"))),
    ).rejects.toMatchObject({
      code: "SANDBOX_BRIDGE",
      cause: { message: "audit log not writable" },
    });
    c.kill();
    await new Promise((resolve) => c.on("close", resolve));
    expect(out).toBe("");
  });

  it("resolves false when the sandbox ends before handing anything over", async () => {
    expect(await acceptBridge(child("process.exit(3)"), async () => {})).toBe(false);
  });
});
