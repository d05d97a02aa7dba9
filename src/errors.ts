import { type ErrorName, ErrorCodes, errorName, isRetriable } from './protocol/error-codes.js';

/**
 * Codes that never travel on the wire: failures a client or a tool sees locally.
 * Wire failures use the names in `protocol/error-codes.ts`.
 */
export const LocalErrorCodes = [
  'CONNECTION_ERROR', // could not reach any broker, or the connection dropped mid-request
  'CLIENT_CLOSED', // the client (or producer/consumer) was closed while the call was pending
  'TIMEOUT', // the request's own deadline passed with no answer
  'INVALID_ARGUMENT', // the caller passed something unusable
  'PROTOCOL_ERROR', // the peer sent bytes that do not follow docs/PROTOCOL.md
] as const;
export type LocalErrorCode = (typeof LocalErrorCodes)[number];

export type RivuletErrorCode = ErrorName | LocalErrorCode;

const LOCAL_RETRIABLE: ReadonlySet<LocalErrorCode> = new Set(['CONNECTION_ERROR', 'TIMEOUT']);

export interface RivuletErrorOptions {
  retriable?: boolean;
  /** Where in a request the failure is, e.g. `topics/0/partitions/3`. */
  path?: string;
  cause?: unknown;
  /** Extra, code-specific facts (for OFFSET_OUT_OF_RANGE: logStartOffset, logEndOffset). */
  details?: Record<string, unknown>;
}

/** The one error type the SDK and the broker's public API throw. Branch on `code`, never on text. */
export class RivuletError extends Error {
  readonly code: RivuletErrorCode;
  readonly retriable: boolean;
  readonly path: string | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: RivuletErrorCode, message: string, opts: RivuletErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'RivuletError';
    this.code = code;
    this.retriable = opts.retriable ?? defaultRetriable(code);
    this.path = opts.path;
    this.details = opts.details;
  }

  /** The wire number for this error, or UNKNOWN_SERVER_ERROR for local-only codes. */
  get errorNumber(): number {
    return code2number(this.code);
  }

  /** Builds the error a client sees for a wire error number. */
  static fromWire(code: number, message?: string, path?: string, details?: Record<string, unknown>): RivuletError {
    const name = errorName(code);
    const where = path ? ` at ${path}` : '';
    return new RivuletError(name, message ? `${name}${where}: ${message}` : `${name}${where}`, { path, details });
  }
}

function defaultRetriable(code: RivuletErrorCode): boolean {
  if ((LocalErrorCodes as readonly string[]).includes(code)) return LOCAL_RETRIABLE.has(code as LocalErrorCode);
  return isRetriable(code as ErrorName);
}

function code2number(code: RivuletErrorCode): number {
  return (ErrorCodes as Record<string, number>)[code] ?? ErrorCodes.UNKNOWN_SERVER_ERROR;
}
