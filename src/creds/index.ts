/**
 * Credentials (DESIGN.md, "Credentials"): the encrypted store that holds the real values the
 * agent never sees. The MCP gateway injects them into upstreams; the CLI manages them.
 */
export {
  checkName as checkSecretName,
  KEY_FILE,
  type SecretInfo,
  SecretStore,
  STORE_FILE,
} from "./store.js";
