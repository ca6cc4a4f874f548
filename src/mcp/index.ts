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
  parseSize,
  readGatewayConfig,
  type UpstreamSpec,
} from "./config.js";
export { denialText, Gateway, type GatewayInit, PEP } from "./gateway.js";
export { GatewayHttpServer, type HttpServeInit, MCP_PATH } from "./http-server.js";
export { descendsFrom, requesterOf } from "./lineage.js";
export { qualify, SEPARATOR, splitQualified } from "./names.js";
export { definitionHash, type Pin, type PinState, PinStore } from "./pins.js";
export { FilePolicySource, failedPolicySource, type PolicySource } from "./policy-source.js";
export { UpstreamPool } from "./pool.js";
export { resolveSecretRefs, type SecretSource } from "./secret-refs.js";
export { type TokenEntry, TokenStore, tokenFile } from "./tokens.js";
