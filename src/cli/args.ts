/**
 * Argument parsing shared by every `rivulet` subcommand: `node:util` parseArgs with errors turned
 * into {@link UsageError} (exit 2), plus the typed parsers for numbers, `k=v` pairs, timestamps and
 * broker addresses. Nothing here touches the network.
 */
import { parseArgs } from 'node:util';

export const EXIT_OK = 0;
/** The command ran and failed: broker unreachable, unknown topic, invalid log file, … */
export const EXIT_FAILURE = 1;
/** The command line itself is wrong. */
export const EXIT_USAGE = 2;

export const DEFAULT_BROKERS = 'ws://127.0.0.1:9080';
export const BROKERS_ENV = 'RIVULET_BROKERS';

/** A mistake on the command line: reported as one line plus a pointer to `--help`, exit 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A runtime failure already phrased for the user: reported as `error: <message>`, exit 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
  readonly exitCode: number;

  constructor(message: string, exitCode = EXIT_FAILURE) {
    super(message);
    this.exitCode = exitCode;
  }
}

export type OptionSpec =
  | { type: 'string'; short?: string; multiple?: false; default?: string }
  | { type: 'string'; short?: string; multiple: true; default?: string[] }
  | { type: 'boolean'; short?: string; multiple?: false; default?: boolean };

export type OptionSpecs = Record<string, OptionSpec>;

type ValueOf<S extends OptionSpec> = S extends { type: 'boolean' }
  ? boolean | undefined
  : S extends { multiple: true }
    ? string[] | undefined
    : string | undefined;

export interface Parsed<S extends OptionSpecs> {
  values: { [K in keyof S]: ValueOf<S[K]> } & { help: boolean | undefined };
  positionals: string[];
}

/** Options every command accepts. */
export const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const satisfies OptionSpecs;

/** Options every command that talks to a broker accepts. */
export const CLIENT_OPTIONS = {
  brokers: { type: 'string', short: 'b' },
  'client-id': { type: 'string' },
} as const satisfies OptionSpecs;

/**
 * Parses `argv` strictly: unknown options and missing option values are usage errors.
 * `--help` is always accepted, so a command can print its help before checking anything else.
 */
export function parseCommandArgs<S extends OptionSpecs>(argv: string[], options: S): Parsed<S> {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      options: { ...options, ...HELP_OPTION },
      allowPositionals: true,
      strict: true,
    });
    return { values: values as unknown as Parsed<S>['values'], positionals };
  } catch (err) {
    throw new UsageError(describeParseError(err));
  }
}

function describeParseError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // Node's messages carry advice about `--` that does not help here; keep the first sentence.
  const first = err.message.split(/\.\s/)[0] ?? err.message;
  return first.replace(/\.$/, '');
}

/** Exactly `count` positionals, named in `names` for the error message. */
export function expectPositionals(positionals: string[], names: string[]): string[] {
  if (positionals.length < names.length) {
    throw new UsageError(
      `missing ${names
        .slice(positionals.length)
        .map((n) => `<${n}>`)
        .join(' ')}`,
    );
  }
  if (positionals.length > names.length) {
    throw new UsageError(`unexpected argument '${positionals[names.length]}'`);
  }
  return positionals;
}

/** A safe integer in [min, max], from an option value. */
export function parseIntOption(name: string, value: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^-?\d+$/.test(value.trim())) throw new UsageError(`--${name} must be an integer, got '${value}'`);
  const n = Number(value.trim());
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be between ${min} and ${max}, got '${value}'`);
  }
  return n;
}

/** `k=v` into [k, v]; the value may itself contain `=`. An empty key is a usage error. */
export function parseKeyValue(name: string, pair: string): [string, string] {
  const eq = pair.indexOf('=');
  if (eq <= 0) throw new UsageError(`--${name} expects key=value, got '${pair}'`);
  return [pair.slice(0, eq), pair.slice(eq + 1)];
}

/** Repeated `k=v` options into an ordered list of pairs; a repeated key keeps its last value. */
export function parseKeyValues(name: string, pairs: string[] | undefined): Array<[string, string]> {
  const byKey = new Map<string, string>();
  for (const pair of pairs ?? []) {
    const [k, v] = parseKeyValue(name, pair);
    byKey.set(k, v);
  }
  return [...byKey];
}

/**
 * A point in time as epoch milliseconds: either an integer (`1700000000000`) or anything
 * `Date.parse` reads as ISO 8601 (`2024-05-01`, `2024-05-01T12:00:00Z`).
 */
export function parseTimestamp(name: string, value: string): number {
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) {
    const n = Number(trimmed);
    if (Number.isSafeInteger(n)) return n;
  } else if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    const ms = Date.parse(trimmed);
    if (Number.isFinite(ms) && ms >= 0) return ms;
  }
  throw new UsageError(`--${name} must be epoch milliseconds or an ISO 8601 date, got '${value}'`);
}

/**
 * The broker list: `--brokers`, else `$RIVULET_BROKERS`, else the local default. Comma-separated;
 * `host:port` is shorthand for `ws://host:port`.
 */
export function resolveBrokers(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): string[] {
  const raw = flag ?? env[BROKERS_ENV] ?? DEFAULT_BROKERS;
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
  if (list.length === 0) throw new UsageError('--brokers is empty');
  return list.map((addr) => {
    const url = /^[a-z]+:\/\//i.test(addr) ? addr : `ws://${addr}`;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new UsageError(`invalid broker address '${addr}' (expected ws://host:port)`);
    }
    if (parsed.protocol !== 'ws:' && parsed.protocol !== 'wss:') {
      throw new UsageError(`invalid broker address '${addr}' (expected ws:// or wss://)`);
    }
    return url.replace(/\/+$/, '');
  });
}

export interface SubcommandSpec<S extends OptionSpecs, Sub extends string> {
  /** The command's name, for messages: `topics`, `groups`. */
  command: string;
  help: string;
  subcommands: readonly Sub[];
  options: S;
  /** Which of the command's own options each subcommand accepts (client options always apply). */
  allowed: Record<Sub, ReadonlyArray<keyof S>>;
}

/**
 * The front of a `<command> <subcommand> [options]` command: help with no subcommand (exit 2) or
 * with --help (exit 0), unknown subcommands and options that don't apply to the subcommand as
 * usage errors. Returns an exit code when there is nothing left to do.
 */
export function parseSubcommand<S extends OptionSpecs, Sub extends string>(
  argv: string[],
  spec: SubcommandSpec<S, Sub>,
): number | ({ subcommand: Sub } & Parsed<S>) {
  const [sub, ...rest] = argv;
  if (sub === undefined) {
    process.stderr.write(spec.help);
    return EXIT_USAGE;
  }
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(spec.help);
    return EXIT_OK;
  }
  if (!(spec.subcommands as readonly string[]).includes(sub)) {
    throw new UsageError(`unknown subcommand '${spec.command} ${sub}'`);
  }
  const parsed = parseCommandArgs(rest, spec.options);
  if (parsed.values.help) {
    process.stdout.write(spec.help);
    return EXIT_OK;
  }
  const subcommand = sub as Sub;
  const allAllowed = new Set<keyof S>(spec.subcommands.flatMap((s) => spec.allowed[s]));
  for (const key of allAllowed) {
    if (parsed.values[key] !== undefined && !spec.allowed[subcommand].includes(key)) {
      throw new UsageError(`--${String(key)} does not apply to '${spec.command} ${subcommand}'`);
    }
  }
  return { subcommand, ...parsed };
}
