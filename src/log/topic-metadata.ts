/**
 * `<dataDir>/topics.json`: the topics, their partition counts and their config overrides (Kafka
 * names, string values). The source of truth for which topics exist; replaced atomically
 * (tmp + fsync + rename + fsync of the directory) on every change.
 *
 *   { "version": 1, "topics": { "orders": { "partitions": 3, "configs": { "retention.ms": "3600000" } } } }
 */
import { join } from 'node:path';
import { readFileIfExists, writeFileAtomicSync } from './atomic-file.js';
import { configToStrings, parseTopicConfigs, type TopicConfig } from './log-config.js';
import { validateTopicName } from './topic-name.js';

export const TOPICS_FILE = 'topics.json';
const VERSION = 1;

export interface TopicMetadata {
  name: string;
  partitions: number;
  overrides: Partial<TopicConfig>;
}

export function readTopicMetadata(dataDir: string): TopicMetadata[] {
  const path = join(dataDir, TOPICS_FILE);
  const text = readFileIfExists(path);
  if (text === null) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new Error(`${path} is not valid JSON: ${(err as Error).message}`);
  }
  const fail = (why: string): never => {
    throw new Error(`${path}: ${why}`);
  };
  if (typeof doc !== 'object' || doc === null) fail('expected an object');
  const { version, topics } = doc as { version?: unknown; topics?: unknown };
  if (version !== VERSION) fail(`unsupported version ${String(version)}`);
  if (typeof topics !== 'object' || topics === null || Array.isArray(topics)) fail('"topics" must be an object');
  const out: TopicMetadata[] = [];
  for (const [name, entry] of Object.entries(topics as Record<string, unknown>)) {
    validateTopicName(name);
    const { partitions, configs } = (entry ?? {}) as { partitions?: unknown; configs?: unknown };
    if (!Number.isSafeInteger(partitions) || (partitions as number) < 1) fail(`topic ${name}: bad partition count`);
    if (typeof configs !== 'object' || configs === null || Array.isArray(configs)) fail(`topic ${name}: bad configs`);
    out.push({
      name,
      partitions: partitions as number,
      overrides: parseTopicConfigs(configs as Record<string, string>),
    });
  }
  return out;
}

export function writeTopicMetadata(dataDir: string, topics: Iterable<TopicMetadata>): void {
  const sorted = [...topics].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  // fromEntries defines own properties: a topic named __proto__ stays a plain key.
  const doc = {
    version: VERSION,
    topics: Object.fromEntries(
      sorted.map((t) => [t.name, { partitions: t.partitions, configs: configToStrings(t.overrides) }]),
    ),
  };
  writeFileAtomicSync(join(dataDir, TOPICS_FILE), `${JSON.stringify(doc, null, 2)}\n`);
}
