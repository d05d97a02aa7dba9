/**
 * Turns whatever a command threw into one line on stderr and an exit code. Client errors are
 * explained with what the command was doing (which broker, which topic); a stack trace is printed
 * only when RIVULET_DEBUG is set.
 */
import { RivuletError } from '../errors.js';
import { CliError, EXIT_FAILURE, EXIT_USAGE, UsageError } from './args.js';

/** What a client command was talking about, so an error can name it. */
export interface ErrorContext {
  brokers: string[];
  topic?: string;
  partition?: number;
}

/** Prints `err` for the user and returns the exit code to use. */
export function reportError(err: unknown, command: string): number {
  if (process.env.RIVULET_DEBUG && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
  if (err instanceof UsageError) {
    process.stderr.write(`error: ${err.message}\nRun 'rivulet ${command} --help' for usage.\n`);
    return EXIT_USAGE;
  }
  if (err instanceof CliError) {
    process.stderr.write(`error: ${err.message}\n`);
    return err.exitCode;
  }
  process.stderr.write(`error: ${describeError(err)}\n`);
  return EXIT_FAILURE;
}

/** A one-line description of an error that carries no command context. */
export function describeError(err: unknown): string {
  if (err instanceof RivuletError) return err.message;
  if (err instanceof Error) {
    const code = errnoOf(err);
    const path = (err as { path?: unknown }).path;
    if (code === 'ENOENT' && typeof path === 'string') return `no such file '${path}'`;
    if (code === 'EACCES' && typeof path === 'string') return `permission denied: '${path}'`;
    if (code === 'EISDIR' && typeof path === 'string') return `'${path}' is a directory`;
    return err.message.split('\n')[0] ?? String(err);
  }
  return String(err);
}

/**
 * Phrases an SDK error for the user, naming the broker or topic it concerns. Returns a
 * {@link CliError}, ready to throw.
 */
export function explainClientError(err: unknown, ctx: ErrorContext): CliError {
  if (err instanceof CliError) return err;
  if (!(err instanceof RivuletError)) return new CliError(describeError(err));
  const where = ctx.brokers.join(',');
  switch (err.code) {
    case 'CONNECTION_ERROR': {
      const errno = errnoOf(err);
      const why = errno ? ` (${errno})` : '';
      return new CliError(`cannot reach broker at ${where}${why} — is it running? start one with \`rivulet broker\``);
    }
    case 'TIMEOUT':
      return new CliError(`broker at ${where} did not answer in time`);
    case 'UNKNOWN_TOPIC_OR_PARTITION':
      if (ctx.topic === undefined) return new CliError(err.message);
      if (ctx.partition !== undefined)
        return new CliError(`unknown topic or partition '${ctx.topic}' partition ${ctx.partition}`);
      return new CliError(`unknown topic '${ctx.topic}'`);
    case 'TOPIC_ALREADY_EXISTS':
      return new CliError(ctx.topic === undefined ? err.message : `topic '${ctx.topic}' already exists`);
    case 'INVALID_TOPIC_EXCEPTION':
      return new CliError(prefixed('invalid topic name', err));
    case 'INVALID_CONFIG':
      return new CliError(prefixed('invalid config', err));
    case 'INVALID_PARTITIONS':
      return new CliError(prefixed('invalid partition count', err));
    case 'BROKER_SHUTTING_DOWN':
      return new CliError(`broker at ${where} is shutting down`);
    case 'INVALID_ARGUMENT': {
      // The SDK names the failing field by its path in the request, which means nothing here.
      const prefix = err.path === undefined ? '' : `${err.path}: `;
      return new CliError(prefix && err.message.startsWith(prefix) ? err.message.slice(prefix.length) : err.message);
    }
    default:
      return new CliError(err.message);
  }
}

/** The broker's words, behind `what: ` unless they already start by saying what is invalid. */
function prefixed(what: string, err: RivuletError): string {
  const text = detail(err);
  return /^invalid\b/i.test(text) ? text : `${what}: ${text}`;
}

/** The broker's own words, without the `CODE at path:` prefix RivuletError.fromWire adds. */
function detail(err: RivuletError): string {
  const m = /^[A-Z_]+(?: at \S+)?: (.*)$/s.exec(err.message);
  return (m?.[1] ?? err.message).split('\n')[0] ?? err.message;
}

/** The first errno-style code (`ECONNREFUSED`, `ENOTFOUND`, …) along an error's cause chain. */
export function errnoOf(err: unknown): string | undefined {
  const seen = new Set<unknown>();
  let cur: unknown = err;
  while (cur !== null && typeof cur === 'object' && !seen.has(cur)) {
    seen.add(cur);
    const code = (cur as { code?: unknown }).code;
    if (typeof code === 'string' && /^E[A-Z0-9_]+$/.test(code)) return code;
    const errors = (cur as { errors?: unknown }).errors;
    if (Array.isArray(errors)) {
      for (const e of errors) {
        const inner = errnoOf(e);
        if (inner) return inner;
      }
    }
    cur = (cur as { cause?: unknown }).cause;
  }
  // Some transports only put the code in the text ("connect ECONNREFUSED 127.0.0.1:9080").
  const text = err instanceof Error ? err.message : '';
  return /\b(E(?!RROR\b)[A-Z]{3,})\b/.exec(text)?.[1];
}
