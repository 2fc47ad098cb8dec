/**
 * The few error classes the tool throws for expected failures. Each carries a
 * stable `code` and the process exit code the CLI maps it to; context lives in
 * fields, never only in the message.
 *
 * @module
 */

/** Exit codes from CONTRACT.md. */
export const ExitCode = {
  /** Every job done. */
  Ok: 0,
  /** Some job failed or is uncertain and no plain run would progress it. */
  Failed: 1,
  /** Usage error, missing key or invalid manifest; nothing was sent. */
  Usage: 2,
  /** Work is still pending that another run will progress. */
  Pending: 3,
  /** The service rejected the key. */
  Unauthorized: 4,
  /** Another run holds the output folder's lock. */
  LockHeld: 75,
  /** Interrupted by SIGINT or SIGTERM; the state was saved. */
  Interrupted: 130,
} as const;

/** One of the contract's exit codes. */
export type ExitCode = typeof ExitCode[keyof typeof ExitCode];

/**
 * The message of a thrown value: an `Error`'s message, anything else as a string.
 *
 * @param error Whatever was thrown or rejected with.
 * @returns Text fit for a user-facing message.
 */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Base of every expected failure: a code, an exit code and a user-facing message. */
export class BatchError extends Error {
  /** Stable machine-readable code, e.g. `manifest_invalid`. */
  readonly code: string;
  /** The exit code the CLI ends with when this error stops a command. */
  readonly exitCode: ExitCode;

  /**
   * Create the error.
   *
   * @param message A sentence a user can act on (sentence case, no trailing period).
   * @param options The code, exit code and optional cause.
   */
  constructor(
    message: string,
    options: { code: string; exitCode: ExitCode; cause?: unknown },
  ) {
    super(message, { cause: options.cause });
    this.name = "BatchError";
    this.code = options.code;
    this.exitCode = options.exitCode;
  }
}

/** A mistake on the command line. */
export class UsageError extends BatchError {
  /**
   * Create the error.
   *
   * @param message What is wrong and how to fix it.
   */
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { code: "usage", exitCode: ExitCode.Usage, cause: options.cause });
    this.name = "UsageError";
  }
}

/** A manifest (or catalog file) that cannot be read or is not valid. */
export class ManifestError extends BatchError {
  /** The file at fault. */
  readonly file: string;
  /** 1-based line, when known. */
  readonly line?: number;
  /** The field at fault, when known. */
  readonly field?: string;

  /**
   * Create the error.
   *
   * @param message What is wrong.
   * @param context Where it is wrong.
   */
  constructor(
    message: string,
    context: { file: string; line?: number; field?: string; code?: string; cause?: unknown },
  ) {
    super(message, {
      code: context.code ?? "manifest_invalid",
      exitCode: ExitCode.Usage,
      cause: context.cause,
    });
    this.name = "ManifestError";
    this.file = context.file;
    this.line = context.line;
    this.field = context.field;
  }
}

/** A missing or unusable setting, such as the API key. */
export class ConfigError extends BatchError {
  /**
   * Create the error.
   *
   * @param message What is missing and how to provide it.
   */
  constructor(message: string, options: { code?: string } = {}) {
    super(message, { code: options.code ?? "config", exitCode: ExitCode.Usage });
    this.name = "ConfigError";
  }
}

/** An answer from the service that is an error (or no answer at all). */
export class ApiError extends BatchError {
  /** HTTP status, or 0 when no response arrived. */
  readonly status: number;
  /** The service's own error code (`error.code` or the flat `code`), if any. */
  readonly serviceCode?: string;
  /** The request id the service returned, if any. */
  readonly requestId?: string;
  /** HTTP method of the failed request. */
  readonly method: string;
  /** URL of the failed request, without any credential. */
  readonly url: string;
  /** Seconds the service asked us to wait (`Retry-After`), if any. */
  readonly retryAfterMs?: number;
  /**
   * What went wrong without the failed action, when the message is
   * `<action>: <reason>`; lets a caller name its own action instead.
   */
  readonly reason?: string;

  /**
   * Create the error.
   *
   * @param message What happened, including the service's own message.
   * @param context The request and response details.
   */
  constructor(
    message: string,
    context: {
      status: number;
      method: string;
      url: string;
      serviceCode?: string;
      requestId?: string;
      retryAfterMs?: number;
      reason?: string;
      code?: string;
      cause?: unknown;
    },
  ) {
    super(message, {
      code: context.code ?? (context.status === 401 ? "unauthorized" : "api_error"),
      exitCode: context.status === 401 ? ExitCode.Unauthorized : ExitCode.Failed,
      cause: context.cause,
    });
    this.name = "ApiError";
    this.status = context.status;
    this.serviceCode = context.serviceCode;
    this.requestId = context.requestId;
    this.method = context.method;
    this.url = context.url;
    this.retryAfterMs = context.retryAfterMs;
    this.reason = context.reason;
  }
}

/** Another run holds the output folder. */
export class LockHeldError extends BatchError {
  /** The lock file. */
  readonly path: string;
  /** What the holder wrote about itself (pid, host, start time), if readable. */
  readonly holder?: { pid?: number; host?: string; startedAt?: string };

  /**
   * Create the error.
   *
   * @param path The lock file.
   * @param holder What the other run wrote into it.
   */
  constructor(path: string, holder?: { pid?: number; host?: string; startedAt?: string }) {
    const who = holder?.pid
      ? ` (pid ${holder.pid} on ${holder.host ?? "?"} since ${holder.startedAt ?? "?"})`
      : "";
    super(`Cannot lock ${path}: another run holds this output folder${who}`, {
      code: "lock_held",
      exitCode: ExitCode.LockHeld,
    });
    this.name = "LockHeldError";
    this.path = path;
    this.holder = holder;
  }
}

/** The run was interrupted by a signal after saving its state. */
export class InterruptedError extends BatchError {
  /**
   * Create the error.
   *
   * @param signal The signal that stopped the run.
   */
  constructor(signal: string) {
    super(`Interrupted by ${signal}; the state is saved, run again to resume`, {
      code: "interrupted",
      exitCode: ExitCode.Interrupted,
    });
    this.name = "InterruptedError";
  }
}
