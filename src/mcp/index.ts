/**
 * The MCP gateway (issue 5): one governed MCP server for the agent in front of the upstream
 * servers from an `mcpServers` config, with an approval queue for `ask`.
 */
export {
  type Approval,
  type ApprovalStatus,
  ApprovalStore,
  type Requester,
  requestDigest,
  waitForAnswer,
} from "./approvals.js";
export {
  DEFAULT_OPTIONS,
  type GatewayConfig,
  type GatewayOptions,
  parseDuration,
  parseGatewayConfig,
  readGatewayConfig,
  type UpstreamSpec,
} from "./config.js";
export { denialText, Gateway, type GatewayInit, PEP } from "./gateway.js";
export { descendsFrom, requesterOf } from "./lineage.js";
export { qualify, SEPARATOR, splitQualified } from "./names.js";
export { definitionHash, type PinState, PinStore } from "./pins.js";
export { FilePolicySource, failedPolicySource, type PolicySource } from "./policy-source.js";
export type { SecretSource } from "./secret-refs.js";
