/**
 * Topic configuration: Kafka's names, Kafka's defaults, parsed and validated from the strings the
 * wire carries. In code a config is a `TopicConfig` (camelCase fields); on the wire, in
 * `topics.json` and in DescribeConfigs it goes by the Kafka name (`retention.ms`, …).
 *
 * Resolution order for each key: the topic's own override, then the broker's defaults
 * (`LogManager.open({ defaults })`), then Kafka's default below.
 */
import { RivuletError } from '../errors.js';

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';
export type TimestampType = 'CreateTime' | 'LogAppendTime';

export interface TopicConfig {
  /** `retention.ms`: delete closed segments whose newest record is older than this; -1 keeps forever. */
  retentionMs: number;
  /** `retention.bytes`: delete the oldest closed segments while the partition is over this; -1 = no limit. */
  retentionBytes: number;
  /** `segment.bytes`: the most a segment holds (its file grows in steps up to it); a full segment rolls. */
  segmentBytes: number;
  /** `segment.ms`: roll a non-empty active segment once its first batch is this old. */
  segmentMs: number;
  /** `max.message.bytes`: the largest record batch accepted (Kafka's 1 MiB + 12 bytes). */
  maxMessageBytes: number;
  /** `index.interval.bytes`: one sparse index entry per this many bytes of log. */
  indexIntervalBytes: number;
  /** `segment.index.bytes`: preallocated size of `.index` and `.timeindex`. */
  segmentIndexBytes: number;
  /**
   * `cleanup.policy`: 'delete' runs retention. 'compact' is accepted and stored, but compaction
   * is not built yet: a compacted topic keeps everything (retention runs only with 'delete').
   */
  cleanupPolicy: CleanupPolicy;
  /** `message.timestamp.type`: CreateTime keeps the producer's timestamps; LogAppendTime stamps the broker's. */
  messageTimestampType: TimestampType;
  /**
   * `cache.tail.bytes` (Rivulet's own): how much of each partition's newest data its active
   * segment keeps in the page cache; data further behind leaves it once written back, and a
   * consumer that far behind reads it from disk. -1 (the default): the kernel decides, as in Kafka.
   * A change applies at once, to the active segment too.
   */
  cacheTailBytes: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;
const INT32_MAX = 2 ** 31 - 1;
/** Smallest segment the storage engine is asked to manage. */
export const MIN_SEGMENT_BYTES = 1024;
/** Smallest index file: room for a few hundred entries. */
export const MIN_SEGMENT_INDEX_BYTES = 4096;
/** Smallest valid RecordBatch v2 (header only, no records). */
export const MIN_BATCH_BYTES = 61;

export const DEFAULT_TOPIC_CONFIG: Readonly<TopicConfig> = Object.freeze({
  retentionMs: 7 * DAY_MS,
  retentionBytes: -1,
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * DAY_MS,
  maxMessageBytes: 1024 * 1024 + 12, // 1048588, as Kafka
  indexIntervalBytes: 4096,
  segmentIndexBytes: 10 * 1024 * 1024,
  cleanupPolicy: 'delete',
  messageTimestampType: 'CreateTime',
  cacheTailBytes: -1,
});

type Key = keyof TopicConfig;

interface IntDef {
  kind: 'int';
  key: Key;
  min: number;
  max: number;
}
interface EnumDef {
  kind: 'enum';
  key: Key;
  values: readonly string[];
}
type ConfigDef = IntDef | EnumDef;

/** Every config a topic accepts, by its Kafka name. */
export const TOPIC_CONFIG_DEFS: Readonly<Record<string, ConfigDef>> = Object.freeze({
  'retention.ms': { kind: 'int', key: 'retentionMs', min: -1, max: Number.MAX_SAFE_INTEGER },
  'retention.bytes': { kind: 'int', key: 'retentionBytes', min: -1, max: Number.MAX_SAFE_INTEGER },
  'segment.bytes': { kind: 'int', key: 'segmentBytes', min: MIN_SEGMENT_BYTES, max: INT32_MAX },
  'segment.ms': { kind: 'int', key: 'segmentMs', min: 1, max: Number.MAX_SAFE_INTEGER },
  'max.message.bytes': { kind: 'int', key: 'maxMessageBytes', min: MIN_BATCH_BYTES, max: INT32_MAX },
  'index.interval.bytes': { kind: 'int', key: 'indexIntervalBytes', min: 0, max: INT32_MAX },
  'segment.index.bytes': { kind: 'int', key: 'segmentIndexBytes', min: MIN_SEGMENT_INDEX_BYTES, max: INT32_MAX },
  'cleanup.policy': { kind: 'enum', key: 'cleanupPolicy', values: ['delete', 'compact', 'compact,delete'] },
  'message.timestamp.type': { kind: 'enum', key: 'messageTimestampType', values: ['CreateTime', 'LogAppendTime'] },
  'cache.tail.bytes': { kind: 'int', key: 'cacheTailBytes', min: -1, max: Number.MAX_SAFE_INTEGER },
} satisfies Record<string, ConfigDef>);

export const TOPIC_CONFIG_NAMES: readonly string[] = Object.freeze(Object.keys(TOPIC_CONFIG_DEFS));

const NAME_OF: Readonly<Record<Key, string>> = Object.freeze(
  Object.fromEntries(Object.entries(TOPIC_CONFIG_DEFS).map(([name, def]) => [def.key, name])) as Record<Key, string>,
);

/** The Kafka name of a config field (`retentionMs` → `retention.ms`). */
export function configName(key: Key): string {
  return NAME_OF[key];
}

function invalid(name: string, why: string): RivuletError {
  return new RivuletError('INVALID_CONFIG', `invalid config ${name}: ${why}`, { details: { config: name } });
}

function defOf(name: string): ConfigDef {
  if (!Object.hasOwn(TOPIC_CONFIG_DEFS, name)) {
    throw invalid(name, `unknown topic config (known: ${TOPIC_CONFIG_NAMES.join(', ')})`);
  }
  return TOPIC_CONFIG_DEFS[name]!;
}

/** Parses one wire value (a string; a number is accepted for ints). */
export function parseConfigValue(name: string, value: unknown): number | string {
  const def = defOf(name);
  if (def.kind === 'int') {
    let n: number;
    if (typeof value === 'number') n = value;
    else if (typeof value === 'string' && /^-?\d{1,16}$/.test(value.trim())) n = Number(value.trim());
    else throw invalid(name, `expected an integer, got ${JSON.stringify(value)}`);
    if (!Number.isSafeInteger(n)) throw invalid(name, `expected an integer, got ${value}`);
    if (n < def.min || n > def.max) throw invalid(name, `${n} is outside [${def.min}, ${def.max}]`);
    return n;
  }
  const s = typeof value === 'string' ? value.trim() : undefined;
  // Kafka's cleanup.policy is a list: "delete,compact" means the same as "compact,delete".
  const normalised =
    name === 'cleanup.policy' && s !== undefined
      ? s
          .split(/\s*,\s*/)
          .sort()
          .join(',')
      : s;
  if (normalised === undefined || !def.values.includes(normalised)) {
    throw invalid(name, `expected one of ${def.values.join(' | ')}, got ${JSON.stringify(value)}`);
  }
  return normalised;
}

export type ConfigEntries = ReadonlyArray<{ name: string; value: string | null }> | Readonly<Record<string, string>>;

function entriesOf(entries: ConfigEntries): Array<[string, string | null]> {
  if (Array.isArray(entries)) {
    return (entries as ReadonlyArray<{ name: string; value: string | null }>).map((e) => [e.name, e.value]);
  }
  return Object.keys(entries).map((k) => [k, (entries as Record<string, string>)[k]!]);
}

/** Parses wire config entries into overrides; INVALID_CONFIG (naming the key) on the first bad one. */
export function parseTopicConfigs(entries: ConfigEntries): Partial<TopicConfig> {
  const out: Partial<TopicConfig> = {};
  for (const [name, value] of entriesOf(entries)) {
    if (value === null || value === undefined) throw invalid(name, 'a value is required');
    const def = defOf(name);
    (out as Record<string, unknown>)[def.key] = parseConfigValue(name, value);
  }
  return out;
}

/**
 * Parses an incremental alteration: a string sets the key, null returns it to its default.
 * Returns the overrides to set and the keys to remove; validates everything before anything applies.
 */
export function parseConfigAlterations(entries: ConfigEntries): { set: Partial<TopicConfig>; reset: Key[] } {
  const set: Partial<TopicConfig> = {};
  const reset: Key[] = [];
  for (const [name, value] of entriesOf(entries)) {
    const def = defOf(name);
    if (value === null) reset.push(def.key);
    else (set as Record<string, unknown>)[def.key] = parseConfigValue(name, value);
  }
  return { set, reset };
}

/** Checks a typed partial config (from code, e.g. broker defaults) with the same rules as the wire. */
export function validateTopicConfig(partial: Partial<TopicConfig>): Partial<TopicConfig> {
  const out: Partial<TopicConfig> = {};
  for (const key of Object.keys(partial) as Key[]) {
    const value = partial[key];
    if (value === undefined) continue;
    const name = NAME_OF[key];
    if (name === undefined) throw invalid(String(key), 'unknown topic config');
    (out as Record<string, unknown>)[key] = parseConfigValue(name, typeof value === 'number' ? value : String(value));
  }
  return out;
}

/** The effective config: overrides, then broker defaults, then Kafka's defaults. */
export function resolveTopicConfig(overrides: Partial<TopicConfig>, defaults: Partial<TopicConfig> = {}): TopicConfig {
  return { ...DEFAULT_TOPIC_CONFIG, ...defaults, ...overrides };
}

/** Overrides as `{ 'retention.ms': '3600000', … }` for topics.json and the wire. */
export function configToStrings(partial: Partial<TopicConfig>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of Object.keys(partial) as Key[]) {
    const value = partial[key];
    if (value !== undefined) out[NAME_OF[key]] = String(value);
  }
  return out;
}

export type ConfigSource = 'DYNAMIC_TOPIC_CONFIG' | 'STATIC_BROKER_CONFIG' | 'DEFAULT_CONFIG';

export interface ConfigDescription {
  name: string;
  value: string;
  isDefault: boolean;
  source: ConfigSource;
}

/** DescribeConfigs for one topic: every known key, its value and where the value comes from. */
export function describeTopicConfig(
  overrides: Partial<TopicConfig>,
  defaults: Partial<TopicConfig> = {},
): ConfigDescription[] {
  return TOPIC_CONFIG_NAMES.map((name) => {
    const key = TOPIC_CONFIG_DEFS[name]!.key;
    if (overrides[key] !== undefined) {
      return { name, value: String(overrides[key]), isDefault: false, source: 'DYNAMIC_TOPIC_CONFIG' as const };
    }
    if (defaults[key] !== undefined) {
      return { name, value: String(defaults[key]), isDefault: false, source: 'STATIC_BROKER_CONFIG' as const };
    }
    return { name, value: String(DEFAULT_TOPIC_CONFIG[key]), isDefault: true, source: 'DEFAULT_CONFIG' as const };
  });
}
