/**
 * Every broker setting: its name (the CLI flag without `--`), type, default and meaning, in one
 * table that drives parsing, `--help` and the config file.
 *
 * Resolution, for each setting: CLI flag > `RIVULET_<NAME>` environment variable (e.g.
 * `RIVULET_DATA_DIR`) > config file entry (JSON, `--config <file>`, keys are the flag names) >
 * default. Topic-config defaults (`retention-ms`, …) are the broker-wide defaults of topics that do
 * not set their own; left unset, Kafka's defaults apply (see `src/log/log-config.ts`).
 */
import { readFileSync } from 'node:fs';
import { RivuletError } from '../errors.js';
import { DEFAULT_TOPIC_CONFIG, type TopicConfig, validateTopicConfig } from '../log/log-config.js';

/** When the broker fdatasyncs appended data, and so when `acks=all` is answered. */
export type FlushPolicy = { mode: 'ack' } | { mode: 'interval'; intervalMs: number } | { mode: 'os' };

export interface BrokerConfig {
  port: number;
  host: string;
  /** Host name put in Metadata responses; default: `host`, or the machine's name when that is a wildcard. */
  advertisedHost: string | null;
  dataDir: string;
  /** `ack`, `interval:<ms>` or `os`. */
  flush: string;
  autoCreateTopics: boolean;
  numPartitions: number;
  retentionMs: number | null;
  retentionBytes: number | null;
  segmentBytes: number | null;
  cacheTailBytes: number | null;
  maxMessageBytes: number | null;
  maxFrameBytes: number;
  maxConnections: number;
  maxInflightBytesPerConnection: number;
  maxBackpressureBytes: number;
  /** Seconds without traffic before a connection is closed (pings are sent automatically); 0 disables. */
  idleTimeout: number;
  retentionCheckIntervalMs: number;
  /** A group member that sends no heartbeat for this long is removed (group.consumer.session.timeout.ms). */
  groupSessionTimeoutMs: number;
  /** How often group members are told to heartbeat (group.consumer.heartbeat.interval.ms). */
  groupHeartbeatIntervalMs: number;
  /** Committed offsets of a group without members expire this long after the later of commit and emptiness. */
  offsetsRetentionMinutes: number;
  /** Path of a JSON config file, or null. */
  config: string | null;
}

type Kind = 'int' | 'string' | 'bool' | 'flush' | 'path?' | 'int?' | 'string?';

interface Setting {
  key: keyof BrokerConfig;
  name: string;
  kind: Kind;
  default: BrokerConfig[keyof BrokerConfig];
  /** Smallest accepted value for ints. */
  min?: number;
  description: string;
}

const MiB = 1024 * 1024;

/** Every setting, in help order. */
export const BROKER_SETTINGS: readonly Setting[] = [
  {
    key: 'port',
    name: 'port',
    kind: 'int',
    default: 9080,
    min: 0,
    description: 'TCP port of ws://host:port/v1, /healthz and /metrics (0 = any free port)',
  },
  {
    key: 'host',
    name: 'host',
    kind: 'string',
    default: '127.0.0.1',
    description: 'interface to listen on; loopback only by default, --host 0.0.0.0 to expose the broker',
  },
  {
    key: 'advertisedHost',
    name: 'advertised-host',
    kind: 'string?',
    default: null,
    description: 'host name given to clients in Metadata (default: host, or the machine name when host is a wildcard)',
  },
  {
    key: 'dataDir',
    name: 'data-dir',
    kind: 'string',
    default: './rivulet-data',
    description: 'directory holding the topic logs and broker state',
  },
  {
    key: 'flush',
    name: 'flush',
    kind: 'flush',
    default: 'ack',
    description:
      'ack: fdatasync before answering acks=all (group commit) | interval:<ms>: fdatasync on a timer, acks=all answered after the append | os: never sync explicitly, acks=all answered after the append',
  },
  {
    key: 'autoCreateTopics',
    name: 'auto-create-topics',
    kind: 'bool',
    default: true,
    description: 'create a topic on its first produce (or Metadata with allowAutoTopicCreation)',
  },
  {
    key: 'numPartitions',
    name: 'num-partitions',
    kind: 'int',
    default: 1,
    min: 1,
    description: 'partitions of an auto-created topic, and of CreateTopics with numPartitions -1',
  },
  {
    key: 'retentionMs',
    name: 'retention-ms',
    kind: 'int?',
    default: null,
    min: -1,
    description: `default retention.ms of topics (Kafka's ${DEFAULT_TOPIC_CONFIG.retentionMs}; -1 keeps forever)`,
  },
  {
    key: 'retentionBytes',
    name: 'retention-bytes',
    kind: 'int?',
    default: null,
    min: -1,
    description: `default retention.bytes per partition (Kafka's ${DEFAULT_TOPIC_CONFIG.retentionBytes} = no limit)`,
  },
  {
    key: 'segmentBytes',
    name: 'segment-bytes',
    kind: 'int?',
    default: null,
    min: 1,
    description: `default segment.bytes, the most one segment holds before a roll; its file grows in 16 MiB steps (Kafka's ${DEFAULT_TOPIC_CONFIG.segmentBytes})`,
  },
  {
    key: 'cacheTailBytes',
    name: 'cache-tail-bytes',
    kind: 'int?',
    default: null,
    min: -1,
    description:
      "default cache.tail.bytes: how much of each partition's newest data stays in the page cache while it is written; older data leaves it once on disk, and consumers that far behind read from disk (-1: the kernel decides)",
  },
  {
    key: 'maxMessageBytes',
    name: 'max-message-bytes',
    kind: 'int?',
    default: null,
    min: 1,
    description: `default max.message.bytes, the largest record batch (Kafka's ${DEFAULT_TOPIC_CONFIG.maxMessageBytes})`,
  },
  {
    key: 'maxFrameBytes',
    name: 'max-frame-bytes',
    kind: 'int',
    default: 8 * MiB,
    min: 1024,
    description: 'largest WebSocket message accepted; a larger one closes the connection (code 1009)',
  },
  {
    key: 'maxConnections',
    name: 'max-connections',
    kind: 'int',
    default: 1024,
    min: 1,
    description: 'connections beyond this are refused at upgrade with HTTP 503 (CONNECTION_LIMIT)',
  },
  {
    key: 'maxInflightBytesPerConnection',
    name: 'max-inflight-bytes-per-connection',
    kind: 'int',
    default: 64 * MiB,
    min: 1,
    description:
      'produce bytes of one connection awaiting their answer; past it, produce gets THROTTLING_QUOTA_EXCEEDED',
  },
  {
    key: 'maxBackpressureBytes',
    name: 'max-backpressure-bytes',
    kind: 'int',
    default: 4 * MiB,
    min: 64 * 1024,
    description:
      'response bytes buffered for a slow reader past which its fetches wait; at 2x this plus max-frame-bytes the connection is closed',
  },
  {
    key: 'idleTimeout',
    name: 'idle-timeout',
    kind: 'int',
    default: 120,
    min: 0,
    description:
      'seconds without traffic before a connection is closed (pings are sent automatically; 0 disables, else at least 8)',
  },
  {
    key: 'retentionCheckIntervalMs',
    name: 'retention-check-interval-ms',
    kind: 'int',
    default: 300_000,
    min: 1,
    description: 'how often retention deletes old segments',
  },
  {
    key: 'groupSessionTimeoutMs',
    name: 'group-session-timeout-ms',
    kind: 'int',
    default: 45_000,
    min: 1,
    description:
      'a consumer-group member that sends no heartbeat for this long is removed and its partitions reassigned',
  },
  {
    key: 'groupHeartbeatIntervalMs',
    name: 'group-heartbeat-interval-ms',
    kind: 'int',
    default: 5_000,
    min: 1,
    description: 'how often consumer-group members are told to heartbeat; must be below group-session-timeout-ms',
  },
  {
    key: 'offsetsRetentionMinutes',
    name: 'offsets-retention-minutes',
    kind: 'int',
    default: 7 * 24 * 60,
    min: 1,
    description:
      'committed offsets of a group with no members are deleted this long after the later of their commit and the group becoming empty',
  },
  {
    key: 'config',
    name: 'config',
    kind: 'path?',
    default: null,
    description: 'JSON config file; its keys are these setting names (e.g. {"data-dir": "/var/lib/rivulet"})',
  },
];

export const DEFAULT_BROKER_CONFIG: Readonly<BrokerConfig> = Object.freeze(
  Object.fromEntries(BROKER_SETTINGS.map((s) => [s.key, s.default])) as unknown as BrokerConfig,
);

const BY_NAME = new Map<string, Setting>();
for (const s of BROKER_SETTINGS) {
  BY_NAME.set(s.name, s);
  BY_NAME.set(s.key, s); // camelCase in config files and code is accepted too
}

export function envName(setting: { name: string }): string {
  return `RIVULET_${setting.name.toUpperCase().replace(/-/g, '_')}`;
}

function bad(message: string): RivuletError {
  return new RivuletError('INVALID_ARGUMENT', message);
}

/** Parses `interval:<ms>`, `ack` or `os`; INVALID_ARGUMENT otherwise. */
export function parseFlushPolicy(value: string): FlushPolicy {
  if (value === 'ack' || value === 'os') return { mode: value };
  const m = /^interval:(\d{1,9})$/.exec(value);
  if (m !== null && Number(m[1]) > 0) return { mode: 'interval', intervalMs: Number(m[1]) };
  throw bad(`flush must be ack, interval:<ms> (ms > 0) or os, got ${JSON.stringify(value)}`);
}

/** Converts a raw value (string from argv/env, or a JSON value from the file) to the setting's type. */
function coerce(s: Setting, raw: unknown, where: string): BrokerConfig[keyof BrokerConfig] {
  const what = `${s.name} (${where})`;
  if (raw === null && (s.kind === 'int?' || s.kind === 'string?' || s.kind === 'path?')) return null;
  switch (s.kind) {
    case 'int':
    case 'int?': {
      const n =
        typeof raw === 'number' ? raw : typeof raw === 'string' && /^-?\d+$/.test(raw.trim()) ? Number(raw) : NaN;
      if (!Number.isSafeInteger(n)) throw bad(`${what} must be an integer, got ${JSON.stringify(raw)}`);
      if (s.min !== undefined && n < s.min) throw bad(`${what} must be at least ${s.min}, got ${n}`);
      return n;
    }
    case 'bool': {
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1' || raw === 'yes') return true;
      if (raw === 'false' || raw === '0' || raw === 'no') return false;
      throw bad(`${what} must be true or false, got ${JSON.stringify(raw)}`);
    }
    case 'flush': {
      if (typeof raw !== 'string') throw bad(`${what} must be a string`);
      parseFlushPolicy(raw);
      return raw;
    }
    default: {
      if (typeof raw !== 'string' || raw === '') throw bad(`${what} must be a non-empty string`);
      return raw;
    }
  }
}

export type ParsedBrokerArgs = { help: true } | { help: false; config: BrokerConfig };

/**
 * Parses `rivulet broker` arguments: `--name value`, `--name=value`, `--flag` / `--no-flag` for
 * booleans, `-h`/`--help`. Reads the config file (if any) synchronously. INVALID_ARGUMENT on
 * anything unknown or ill-typed.
 */
export function parseBrokerArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>> = {},
): ParsedBrokerArgs {
  const fromArgs = new Map<Setting, unknown>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') return { help: true };
    if (!arg.startsWith('--')) throw bad(`unexpected argument ${JSON.stringify(arg)} (see --help)`);
    const eq = arg.indexOf('=');
    let name = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    let value: unknown = eq === -1 ? undefined : arg.slice(eq + 1);
    let setting = BY_NAME.get(name);
    if (setting === undefined && name.startsWith('no-') && value === undefined) {
      name = name.slice(3);
      setting = BY_NAME.get(name);
      if (setting?.kind !== 'bool') throw bad(`unknown option --no-${name} (see --help)`);
      value = false;
    }
    if (setting === undefined) throw bad(`unknown option --${name} (see --help)`);
    if (value === undefined) {
      const next = argv[i + 1];
      if (setting.kind === 'bool' && (next === undefined || next.startsWith('--'))) value = true;
      else if (next === undefined) throw bad(`--${name} needs a value`);
      else {
        value = next;
        i++;
      }
    }
    fromArgs.set(setting, coerce(setting, value, 'command line'));
  }

  const fromEnv = new Map<Setting, unknown>();
  for (const s of BROKER_SETTINGS) {
    const v = env[envName(s)];
    if (v !== undefined && v !== '') fromEnv.set(s, coerce(s, v, envName(s)));
  }

  const configSetting = BY_NAME.get('config')!;
  const configPath = (fromArgs.get(configSetting) ?? fromEnv.get(configSetting) ?? null) as string | null;
  const fromFile = configPath === null ? new Map<Setting, unknown>() : readConfigFile(configPath);

  const config = { ...DEFAULT_BROKER_CONFIG } as Record<string, unknown>;
  for (const s of BROKER_SETTINGS) {
    if (fromArgs.has(s)) config[s.key] = fromArgs.get(s);
    else if (fromEnv.has(s)) config[s.key] = fromEnv.get(s);
    else if (fromFile.has(s)) config[s.key] = fromFile.get(s);
  }
  config.config = configPath;
  return { help: false, config: validateBrokerConfig(config as unknown as BrokerConfig) };
}

function readConfigFile(path: string): Map<Setting, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (cause) {
    throw new RivuletError('INVALID_ARGUMENT', `cannot read config file ${path}: ${(cause as Error).message}`, {
      cause,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new RivuletError('INVALID_ARGUMENT', `config file ${path} is not valid JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw bad(`config file ${path} must hold a JSON object`);
  const out = new Map<Setting, unknown>();
  for (const [name, value] of Object.entries(json)) {
    const s = BY_NAME.get(name);
    if (s === undefined) throw bad(`unknown setting ${JSON.stringify(name)} in config file ${path}`);
    if (s.key === 'config') throw bad(`config file ${path} cannot name another config file`);
    out.set(s, coerce(s, value, path));
  }
  return out;
}

/** Fills defaults and checks every field; INVALID_ARGUMENT on the first bad one. Used by `Broker.start` too. */
export function validateBrokerConfig(partial: Partial<BrokerConfig>): BrokerConfig {
  const out = { ...DEFAULT_BROKER_CONFIG } as Record<string, unknown>;
  for (const s of BROKER_SETTINGS) {
    const v = partial[s.key];
    if (v !== undefined) out[s.key] = coerce(s, v, 'options');
  }
  const config = out as unknown as BrokerConfig;
  if (config.port > 65535) throw bad(`port must be at most 65535, got ${config.port}`);
  if (config.idleTimeout !== 0 && config.idleTimeout < 8)
    throw bad(`idle-timeout must be 0 or at least 8 seconds, got ${config.idleTimeout}`);
  if (!Number.isSafeInteger(config.offsetsRetentionMinutes * 60_000))
    throw bad(`offsets-retention-minutes is too large: ${config.offsetsRetentionMinutes}`);
  if (config.groupHeartbeatIntervalMs >= config.groupSessionTimeoutMs) {
    throw bad(
      `group-heartbeat-interval-ms (${config.groupHeartbeatIntervalMs}) must be below group-session-timeout-ms (${config.groupSessionTimeoutMs})`,
    );
  }
  const defaults = topicDefaults(config);
  try {
    validateTopicConfig(defaults);
  } catch (cause) {
    throw new RivuletError('INVALID_ARGUMENT', `topic default: ${(cause as Error).message}`, { cause });
  }
  const maxMessage = defaults.maxMessageBytes ?? DEFAULT_TOPIC_CONFIG.maxMessageBytes;
  if (config.maxFrameBytes < maxMessage) {
    throw bad(`max-frame-bytes (${config.maxFrameBytes}) must be at least max-message-bytes (${maxMessage})`);
  }
  return config;
}

/** The broker-wide topic defaults (`LogManager.open({ defaults })`) the config sets. */
export function topicDefaults(config: BrokerConfig): Partial<TopicConfig> {
  const out: Partial<TopicConfig> = {};
  if (config.retentionMs !== null) out.retentionMs = config.retentionMs;
  if (config.retentionBytes !== null) out.retentionBytes = config.retentionBytes;
  if (config.segmentBytes !== null) out.segmentBytes = config.segmentBytes;
  if (config.cacheTailBytes !== null) out.cacheTailBytes = config.cacheTailBytes;
  if (config.maxMessageBytes !== null) out.maxMessageBytes = config.maxMessageBytes;
  return out;
}
