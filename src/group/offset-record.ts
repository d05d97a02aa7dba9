/**
 * The records of the internal compacted topic `__consumer_offsets`: one keyed record per
 * committed offset, so compaction keeps the latest commit of each (group, topic, partition).
 *
 *   key    msgpack [OFFSET_COMMIT_KEY, groupId, topic, partition]
 *            OFFSET_COMMIT_KEY = 1 says what the key is; other kinds (group metadata, one day)
 *            get other numbers, and a reader skips kinds it does not know.
 *   value  msgpack { offset, metadata, commitTimestamp }   (map: fields may be added)
 *          or null: a tombstone, the offset was deleted (expired, group deleted)
 *
 * Records travel as RecordBatch v2 (`protocol/record-batch.ts`), one batch per commit, so a
 * commit of several partitions is appended (and survives a crash) as a whole.
 */
import { Packr, Unpackr } from 'msgpackr';
import { RivuletError } from '../errors.js';
import { guardMsgpack } from '../protocol/msgpack-guard.js';
import { decodeRecordBatches, encodeRecordBatch, type RecordInput } from '../protocol/record-batch.js';

export const OFFSETS_TOPIC = '__consumer_offsets';
export const OFFSET_COMMIT_KEY = 1;

export interface CommittedOffset {
  /** The next offset the group will consume. */
  offset: number;
  metadata: string;
  /** When the broker accepted the commit, ms since the epoch. */
  commitTimestamp: number;
}

export interface OffsetRecord {
  groupId: string;
  topic: string;
  partition: number;
  /** null: a tombstone. */
  value: CommittedOffset | null;
}

const packr = new Packr({ useRecords: false, variableMapSize: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true, int64AsType: 'number' });

export function encodeOffsetKey(groupId: string, topic: string, partition: number): Uint8Array {
  return packr.pack([OFFSET_COMMIT_KEY, groupId, topic, partition]);
}

export function encodeOffsetValue(v: CommittedOffset): Uint8Array {
  return packr.pack({ offset: v.offset, metadata: v.metadata, commitTimestamp: v.commitTimestamp });
}

function unpack(bytes: Uint8Array): unknown {
  guardMsgpack(bytes);
  return unpackr.unpack(bytes);
}

function bad(what: string): RivuletError {
  return new RivuletError('CORRUPT_MESSAGE', `${OFFSETS_TOPIC}: ${what}`);
}

const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/**
 * The offset record a key and value hold, or null for a key of another kind (skipped). Throws
 * CORRUPT_MESSAGE for an offset record that is not shaped as above.
 */
export function decodeOffsetRecord(key: Uint8Array | null, value: Uint8Array | null): OffsetRecord | null {
  if (key === null) throw bad('a record without a key');
  const k = unpack(key);
  if (!Array.isArray(k) || typeof k[0] !== 'number') throw bad('a key that is not [kind, ...]');
  if (k[0] !== OFFSET_COMMIT_KEY) return null;
  const [, groupId, topic, partition] = k;
  if (typeof groupId !== 'string' || typeof topic !== 'string' || !isCount(partition)) {
    throw bad('an offset key that is not [1, groupId, topic, partition]');
  }
  if (value === null) return { groupId, topic, partition, value: null };
  const v = unpack(value) as Record<string, unknown> | null;
  if (typeof v !== 'object' || v === null || !isCount(v.offset) || !Number.isSafeInteger(v.commitTimestamp)) {
    throw bad(`the value for ${groupId}/${topic}/${partition} is not { offset, metadata, commitTimestamp }`);
  }
  const metadata = typeof v.metadata === 'string' ? v.metadata : '';
  return {
    groupId,
    topic,
    partition,
    value: { offset: v.offset, metadata, commitTimestamp: v.commitTimestamp as number },
  };
}

/** One RecordBatch holding `records` in order. */
export function encodeOffsetBatch(records: readonly OffsetRecord[], timestamp: number): Uint8Array {
  const inputs: RecordInput[] = records.map((r) => ({
    key: encodeOffsetKey(r.groupId, r.topic, r.partition),
    value: r.value === null ? null : encodeOffsetValue(r.value),
  }));
  return encodeRecordBatch(inputs, { timestamp });
}

/** The offset records in `bytes` (whole RecordBatch v2 batches), in log order. */
export function decodeOffsetBatches(bytes: Uint8Array): OffsetRecord[] {
  const out: OffsetRecord[] = [];
  for (const batch of decodeRecordBatches(bytes)) {
    if (batch.isControl) continue;
    for (const r of batch.records) {
      const rec = decodeOffsetRecord(r.key, r.value);
      if (rec !== null) out.push(rec);
    }
  }
  return out;
}
