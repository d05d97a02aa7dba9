/**
 * Committed offsets per (group, topic, partition), kept in memory and persisted in an
 * `OffsetLog`: the broker backs it with the compacted topic `__consumer_offsets`
 * (`offset-record.ts` has the bytes). On start, `load()` replays the log; afterwards every
 * change is appended first and becomes visible once the append has succeeded, in the order the
 * appends were made (so two commits racing for one partition end as the log says).
 *
 * Expiry: the offsets of a group with no members go `retentionMs` (offsets.retention.minutes,
 * 7 days) after the later of their commit and the moment the group became empty.
 */
import { RivuletError } from '../errors.js';
import {
  type CommittedOffset,
  decodeOffsetBatches,
  encodeOffsetBatch,
  OFFSETS_TOPIC,
  type OffsetRecord,
} from './offset-record.js';

export const DEFAULT_OFFSETS_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;
/** Kafka's offset.metadata.max.bytes. */
export const MAX_OFFSET_METADATA_BYTES = 4096;

export interface OffsetLog {
  /** Appends whole RecordBatch v2 bytes; settles once they are as durable as commits must be. */
  append(batch: Uint8Array): Promise<void> | void;
  /** The log from its start, as chunks of whole batches, in order. */
  replay(): Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
}

export interface OffsetCommitEntry {
  topic: string;
  partition: number;
  offset: number;
  metadata: string;
}

export interface StoredOffset extends CommittedOffset {
  topic: string;
  partition: number;
}

interface PendingWrite {
  records: OffsetRecord[];
  settled: boolean;
  error: unknown;
  resolve(): void;
  reject(err: unknown): void;
}

export class OffsetStore {
  /** groupId → topic → partition → offset. */
  private readonly groups = new Map<string, Map<string, Map<number, CommittedOffset>>>();
  /** Appends not yet applied, in append order. */
  private readonly pending: PendingWrite[] = [];

  constructor(
    private readonly log: OffsetLog,
    readonly retentionMs = DEFAULT_OFFSETS_RETENTION_MS,
  ) {}

  /** Replays the log into memory. Returns how many records it applied. */
  async load(): Promise<number> {
    let applied = 0;
    for await (const chunk of this.log.replay()) {
      for (const r of decodeOffsetBatches(chunk)) {
        this.apply(r);
        applied++;
      }
    }
    return applied;
  }

  get(groupId: string, topic: string, partition: number): CommittedOffset | undefined {
    return this.groups.get(groupId)?.get(topic)?.get(partition);
  }

  /** Every offset of a group, sorted by topic then partition. */
  offsets(groupId: string): StoredOffset[] {
    const topics = this.groups.get(groupId);
    if (topics === undefined) return [];
    const out: StoredOffset[] = [];
    for (const topic of [...topics.keys()].sort()) {
      const parts = topics.get(topic)!;
      for (const partition of [...parts.keys()].sort((a, b) => a - b)) {
        out.push({ topic, partition, ...parts.get(partition)! });
      }
    }
    return out;
  }

  hasGroup(groupId: string): boolean {
    return this.groups.has(groupId);
  }

  groupIds(): string[] {
    return [...this.groups.keys()].sort();
  }

  /** Commits offsets as one batch. Throws KAFKA_STORAGE_ERROR (and changes nothing) if the append fails. */
  commit(groupId: string, entries: readonly OffsetCommitEntry[], nowMs: number): Promise<void> {
    return this.write(
      entries.map((e) => ({
        groupId,
        topic: e.topic,
        partition: e.partition,
        value: { offset: e.offset, metadata: e.metadata, commitTimestamp: nowMs },
      })),
      nowMs,
    );
  }

  /** Deletes every offset of a group (tombstones). Returns how many. */
  async deleteGroup(groupId: string, nowMs: number): Promise<number> {
    const tombstones = this.offsets(groupId).map((o) => tombstone(groupId, o));
    await this.write(tombstones, nowMs);
    return tombstones.length;
  }

  /**
   * Deletes expired offsets. `emptySince(groupId)` is when the group became empty, null while it
   * has members, or 0 for a group the coordinator does not know (then only commit times count).
   * Groups with an append in flight wait for the next round. Returns how many offsets went.
   */
  async expire(nowMs: number, emptySince: (groupId: string) => number | null): Promise<number> {
    const busy = new Set(this.pending.flatMap((w) => w.records.map((r) => r.groupId)));
    const tombstones: OffsetRecord[] = [];
    for (const groupId of this.groups.keys()) {
      const since = emptySince(groupId);
      if (since === null || busy.has(groupId)) continue;
      for (const o of this.offsets(groupId)) {
        if (nowMs - Math.max(o.commitTimestamp, since) >= this.retentionMs) tombstones.push(tombstone(groupId, o));
      }
    }
    await this.write(tombstones, nowMs);
    return tombstones.length;
  }

  private write(records: OffsetRecord[], nowMs: number): Promise<void> {
    if (records.length === 0) return Promise.resolve();
    const batch = encodeOffsetBatch(records, nowMs);
    return new Promise<void>((resolve, reject) => {
      const w: PendingWrite = { records, settled: false, error: undefined, resolve, reject };
      this.pending.push(w);
      const settle = (error: unknown) => {
        w.settled = true;
        w.error = error;
        this.drain();
      };
      try {
        const done = this.log.append(batch);
        if (done !== undefined && typeof (done as PromiseLike<void>).then === 'function') {
          (done as PromiseLike<void>).then(
            () => settle(undefined),
            (err: unknown) => settle(err ?? new Error('append failed')),
          );
        } else {
          settle(undefined);
        }
      } catch (err) {
        settle(err ?? new Error('append failed'));
      }
    });
  }

  /** Applies settled writes from the head of the queue, in append order. */
  private drain(): void {
    while (this.pending.length > 0 && this.pending[0]!.settled) {
      const w = this.pending.shift()!;
      if (w.error !== undefined) {
        w.reject(
          w.error instanceof RivuletError
            ? w.error
            : new RivuletError('KAFKA_STORAGE_ERROR', `could not append to ${OFFSETS_TOPIC}`, { cause: w.error }),
        );
        continue;
      }
      for (const r of w.records) this.apply(r);
      w.resolve();
    }
  }

  private apply(r: OffsetRecord): void {
    let topics = this.groups.get(r.groupId);
    if (r.value === null) {
      const parts = topics?.get(r.topic);
      if (parts === undefined) return;
      parts.delete(r.partition);
      if (parts.size === 0) topics!.delete(r.topic);
      if (topics!.size === 0) this.groups.delete(r.groupId);
      return;
    }
    if (topics === undefined) {
      topics = new Map();
      this.groups.set(r.groupId, topics);
    }
    let parts = topics.get(r.topic);
    if (parts === undefined) {
      parts = new Map();
      topics.set(r.topic, parts);
    }
    parts.set(r.partition, r.value);
  }
}

function tombstone(groupId: string, o: StoredOffset): OffsetRecord {
  return { groupId, topic: o.topic, partition: o.partition, value: null };
}
