/**
 * Topic names and the partition directories they map to.
 *
 * A legal name has 1..249 characters from `[a-zA-Z0-9._-]` and is not `.` or `..` (Kafka's rule: the
 * directory `<topic>-<partition>` must fit a 255-byte file name). With that alphabet a name can
 * never hold a path separator, and `partitionDir` re-checks that the resolved directory lies inside
 * the data directory anyway.
 */
import { isAbsolute, join, relative, resolve } from 'node:path';
import { RivuletError } from '../errors.js';

export const MAX_TOPIC_NAME_LENGTH = 249;
/** Names starting with this are the broker's own topics (e.g. `__consumer_offsets`). */
export const INTERNAL_TOPIC_PREFIX = '__';

const LEGAL = /^[a-zA-Z0-9._-]+$/;

/** Why `name` is not a legal topic name, or null when it is. */
export function topicNameProblem(name: unknown): string | null {
  if (typeof name !== 'string') return 'a topic name must be a string';
  if (name.length === 0) return 'a topic name must not be empty';
  if (name.length > MAX_TOPIC_NAME_LENGTH) {
    return `a topic name is at most ${MAX_TOPIC_NAME_LENGTH} characters, this one has ${name.length}`;
  }
  if (name === '.' || name === '..') return `a topic name cannot be '${name}'`;
  if (!LEGAL.test(name)) return 'a topic name may only hold ASCII letters, digits, ".", "_" and "-"';
  return null;
}

/** Throws INVALID_TOPIC_EXCEPTION with the reason unless `name` is legal. */
export function validateTopicName(name: unknown): asserts name is string {
  const problem = topicNameProblem(name);
  if (problem !== null) {
    const shown = typeof name === 'string' ? JSON.stringify(name.length > 60 ? `${name.slice(0, 60)}…` : name) : '';
    throw new RivuletError('INVALID_TOPIC_EXCEPTION', `invalid topic name ${shown}: ${problem}`);
  }
}

export function isInternalTopic(name: string): boolean {
  return name.startsWith(INTERNAL_TOPIC_PREFIX);
}

/** `<topic>-<partition>`, the name of a partition's directory. */
export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

/** Parses a partition directory name back into topic and partition, or null if it is not one. */
export function parsePartitionDirName(dirName: string): { topic: string; partition: number } | null {
  const m = /^(.+)-(\d{1,9})$/.exec(dirName);
  if (m === null || topicNameProblem(m[1]) !== null) return null;
  return { topic: m[1]!, partition: Number(m[2]) };
}

/** The directory of one partition; asserts the name is legal and the result stays inside dataDir. */
export function partitionDir(dataDir: string, topic: string, partition: number): string {
  validateTopicName(topic);
  if (!Number.isInteger(partition) || partition < 0) {
    throw new RivuletError('INVALID_PARTITIONS', `partition index must be a non-negative integer, got ${partition}`);
  }
  const root = resolve(dataDir);
  const dir = resolve(join(root, partitionDirName(topic, partition)));
  const rel = relative(root, dir);
  if (rel === '' || rel === '..' || isAbsolute(rel) || rel.includes('/') || rel.includes('\\')) {
    throw new RivuletError('INVALID_TOPIC_EXCEPTION', `topic ${topic} would resolve outside the data directory`);
  }
  return dir;
}
