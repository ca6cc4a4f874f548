export type { CommandPart } from "./command-line.js";
export {
  type CompiledPolicy,
  type CompileOptions,
  compilePolicy,
  lintPolicy,
  loadPolicy,
} from "./compile.js";
export { type Diagnostic, formatDiagnostic, PolicyError } from "./diagnostics.js";
export type { Explanation, RuleExplanation } from "./engine.js";
export { forgetRealRoots } from "./fs-path.js";
export type { SandboxRequirement } from "./policy-spec.js";
export {
  type PolicyTestCase,
  type PolicyTestReport,
  runPolicyTests,
} from "./policy-tests.js";
export {
  parseRequest,
  type RequestFlags,
  requestFromFlags,
  STRING_REQUEST_FLAGS,
} from "./request.js";
export type { DecideOptions } from "./rule.js";
export * from "./types.js";
