/**
 * `npm run bench`: every speed target of Warden, each printed beside its target.
 * `npm run bench -- proxy mcp` runs only the named groups.
 */
import { auditBench } from "./audit.bench.js";
import { dlpBench } from "./dlp.bench.js";
import { hookBench } from "./hook.bench.js";
import { mcpBench } from "./mcp.bench.js";
import { policyBench } from "./policy.bench.js";
import { proxyBench } from "./proxy.bench.js";
import { missed } from "./report.js";
import { sandboxBench } from "./sandbox.bench.js";
import { sandboxPlanBench } from "./sandbox-plan.bench.js";
import { shellBench } from "./shell.bench.js";

const GROUPS: Record<string, () => unknown> = {
  policy: policyBench,
  shell: shellBench,
  audit: auditBench,
  proxy: proxyBench,
  mcp: mcpBench,
  hook: hookBench,
  sandbox: sandboxBench,
  "sandbox-plan": sandboxPlanBench,
  dlp: dlpBench,
};
const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !(name in GROUPS));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown bench group(s): ${unknown.join(", ")}; groups: ${Object.keys(GROUPS).join(" ")}\n`,
  );
  process.exit(2);
}

process.stdout.write(`Warden benchmarks — node ${process.version}, medians of repeated runs\n`);
for (const [name, bench] of Object.entries(GROUPS)) {
  if (chosen.length > 0 && !chosen.includes(name)) continue;
  process.stdout.write("\n");
  await bench();
}
const failures = missed();
process.stdout.write(
  `\n${failures.length === 0 ? "all targets met" : `${failures.length} target(s) missed: ${failures.map((f) => f.name).join("; ")}`}\n`,
);
