/**
 * Errors that cross a part's boundary carry a stable `code` so that callers (the CLI, a hook
 * adapter, a third-party embedder) can branch on it without parsing messages.
 */
export class WardenError extends Error {
  readonly code: string;
  readonly hint: string | undefined;

  constructor(code: string, message: string, options?: { hint?: string; cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = "WardenError";
    this.code = code;
    this.hint = options?.hint;
  }
}
