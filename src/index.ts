export * from "./audit/index.js";
export { WardenError } from "./errors.js";
export * from "./policy/index.js";
