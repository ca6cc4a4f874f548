/**
 * The egress proxy in its own process for proxy.bench.ts, as `warden proxy` runs: prints its
 * port, audits every connection, exits (flushing the log) when its stdin closes.
 */
import { AuditLog } from "../src/audit/index.js";
import { EgressProxy } from "../src/net/index.js";
import { compilePolicy } from "../src/policy/index.js";

const [home, policyText] = [process.argv[2]!, process.argv[3]!];
// "-" runs without an audit log, to tell the log's share of the cost from the proxy's.
const audit = home === "-" ? undefined : AuditLog.open({ home });
const proxy = new EgressProxy({
  policy: compilePolicy(policyText),
  ...(audit === undefined ? {} : { audit }),
  agent: "bench",
});
const address = await proxy.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`${address}\n`);
process.stdin.resume();
process.stdin.on("end", async () => {
  await proxy.close();
  audit?.close();
  process.exit(0);
});
