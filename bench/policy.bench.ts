/**
 * Policy figures: compile time, decide() latency on a 1,000-rule policy, and the ratio against
 * Cedar (`statefulIsAuthorized` on a pre-parsed, equivalent policy set) measured in this run.
 */
import { performance } from "node:perf_hooks";
import * as cedar from "@cedar-policy/cedar-wasm/nodejs";
import { compilePolicy, type Request } from "../src/policy/index.js";
import { cedarContext, policyFixture } from "./policy-fixture.js";
import { median, report, summarize } from "./report.js";

function timeEach(requests: Request[], rounds: number, fn: (r: Request) => unknown): number[] {
  const samples: number[] = [];
  for (let round = 0; round < rounds; round++) {
    for (const request of requests) {
      const t0 = performance.now();
      fn(request);
      samples.push((performance.now() - t0) * 1000);
    }
  }
  return samples;
}

export function policyBench(): void {
  const fixture = policyFixture(1000);

  const compileSamples: number[] = [];
  for (let i = 0; i < 7; i++) {
    const t0 = performance.now();
    compilePolicy(fixture.yaml);
    compileSamples.push(performance.now() - t0);
  }
  report({
    name: "compile a 1,000-rule policy (median)",
    value: median(compileSamples),
    unit: "ms",
    target: { op: "<=", value: 100 },
  });

  const policy = compilePolicy(fixture.yaml);
  timeEach(fixture.requests, 20, (r) => policy.decide(r)); // warm up the JIT
  const warden = summarize(timeEach(fixture.requests, 50, (r) => policy.decide(r)));
  report({
    name: "decide() p50, 1,000 rules",
    value: warden.p50,
    unit: "µs",
    target: { op: "<=", value: 5 },
  });
  report({
    name: "decide() p99, 1,000 rules",
    value: warden.p99,
    unit: "µs",
    target: { op: "<=", value: 50 },
  });

  const parsed = cedar.preparsePolicySet("bench", { staticPolicies: fixture.cedar });
  if (parsed.type !== "success") {
    throw new Error(
      `Cedar rejected the equivalent policy set: ${JSON.stringify(parsed.errors[0])}`,
    );
  }
  const cedarDecide = (r: Request) => {
    const answer = cedar.statefulIsAuthorized({
      principal: { type: "User", id: r.principal.user ?? r.principal.agent },
      action: { type: "Action", id: r.kind },
      resource: { type: "Resource", id: "target" },
      context: cedarContext(r),
      preparsedPolicySetId: "bench",
      entities: [],
    });
    if (answer.type !== "success") throw new Error(JSON.stringify(answer.errors[0]));
    return answer.response.decision;
  };
  const sample = fixture.requests.filter((_, i) => i % 10 === 0);
  timeEach(sample, 1, cedarDecide);
  const cedarTimes = summarize(timeEach(sample, 3, cedarDecide));
  report({
    name: "Cedar statefulIsAuthorized p50, 1,000 policies",
    value: cedarTimes.p50,
    unit: "µs",
  });
  report({
    name: "decide() speed-up over Cedar (p50 ratio)",
    value: cedarTimes.p50 / warden.p50,
    unit: "×",
    target: { op: ">=", value: 100 },
  });
}
