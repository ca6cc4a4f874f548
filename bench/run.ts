/** `npm run bench`: every speed target of Warden, each printed beside its target. */
import { auditBench } from "./audit.bench.js";
import { hookBench } from "./hook.bench.js";
import { policyBench } from "./policy.bench.js";
import { proxyBench } from "./proxy.bench.js";
import { missed } from "./report.js";
import { sandboxBench } from "./sandbox.bench.js";
import { shellBench } from "./shell.bench.js";

process.stdout.write(`Warden benchmarks — node ${process.version}, medians of repeated runs\n\n`);
policyBench();
process.stdout.write("\n");
await shellBench();
process.stdout.write("\n");
await auditBench();
process.stdout.write("\n");
await proxyBench();
process.stdout.write("\n");
await hookBench();
process.stdout.write("\n");
await sandboxBench();
const failures = missed();
process.stdout.write(
  `\n${failures.length === 0 ? "all targets met" : `${failures.length} target(s) missed: ${failures.map((f) => f.name).join("; ")}`}\n`,
);
