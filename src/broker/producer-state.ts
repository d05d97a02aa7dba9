/**
 * Idempotent produce: per partition, per producer id, the epoch and the last few appended
 * sequence ranges, read from batch headers only (no record is decoded).
 *
 * Rules (Kafka's `ProducerStateManager` / `ProducerAppendInfo`):
 * - epoch below the producer's current one (from InitProducerId or a later append) →
 *   INVALID_PRODUCER_EPOCH (a fenced zombie);
 * - a batch whose sequence range equals one of the producer's last 5 on that partition is a retry:
 *   acknowledged with its original offset, not written again;
 * - same epoch: the first sequence must follow the last one (int32, wrapping to 0), else
 *   OUT_OF_ORDER_SEQUENCE_NUMBER with `details.expectedSequence`;
 * - a new epoch must start at sequence 0; a producer with no state on the partition (new, or
 *   forgotten) is accepted at any sequence, as Kafka does since KIP-360.
 *
 * Persistence: state is rebuilt on open by scanning batch headers of each partition's log tail,
 * from a snapshot written at clean shutdown (`producer-state.json`). Why both: the scan alone is
 * always right but reads every batch header of the log; the snapshot bounds the scan to what was
 * appended after the last clean shutdown (after a crash, that is the crash's tail). A snapshot
 * entry names the last batch it covers (base offset and CRC): if the log no longer holds that batch
 * (topic deleted and recreated, log truncated below it, retention), the whole log is scanned.
 */
import { join } from 'node:path';
import { RivuletError } from '../errors.js';
import { readFileIfExists, writeFileAtomicSync } from '../log/atomic-file.js';
import type { LogManager } from '../log/log-manager.js';
import type { PartitionLog } from '../log/partition-log.js';
import { readBatchHeader } from '../protocol/record-batch.js';
import { LOG_OVERHEAD, readInt32 } from '../protocol/record-batch-layout.js';

export const PRODUCER_STATE_FILE = 'producer-state.json';
/** Sequence ranges remembered per producer and partition (Kafka's max.in.flight for idempotence). */
export const RETAINED_BATCHES = 5;
/** Producers remembered per partition; the least recently active one is forgotten beyond it. */
export const MAX_PRODUCERS_PER_PARTITION = 10_000;
/** Bytes read per step when scanning a log tail. */
const SCAN_CHUNK_BYTES = 4 << 20;
const INT32_MAX = 0x7fffffff;
const VERSION = 1;

/** One appended run of batches: its sequence range and where it landed. */
interface SeqRange {
  firstSeq: number;
  lastSeq: number;
  baseOffset: number;
}

interface ProducerEntry {
  epoch: number;
  ranges: SeqRange[];
}

/** Sequence `seq + n` on the int32 ring Kafka uses (wraps to 0 after 2^31 − 1). */
export function addSequence(seq: number, n: number): number {
  return seq > INT32_MAX - n ? seq - (INT32_MAX - n) - 1 : seq + n;
}

export type SequenceCheck = { kind: 'append' } | { kind: 'duplicate'; baseOffset: number };

export class PartitionProducers {
  readonly #producers = new Map<number, ProducerEntry>();
  /** Log end offset up to which the state is built. */
  coveredOffset = 0;

  get size(): number {
    return this.#producers.size;
  }

  /** Decides whether the run [firstSeq, lastSeq] of (producerId, epoch) may be appended. Throws on a bad one. */
  check(producerId: number, epoch: number, firstSeq: number, lastSeq: number, currentEpoch: number): SequenceCheck {
    if (epoch < currentEpoch) {
      throw new RivuletError(
        'INVALID_PRODUCER_EPOCH',
        `producer ${producerId} epoch ${epoch} is fenced by epoch ${currentEpoch}`,
        {
          details: { producerId, producerEpoch: epoch, currentEpoch },
        },
      );
    }
    const entry = this.#producers.get(producerId);
    if (entry === undefined) return { kind: 'append' };
    if (epoch < entry.epoch) {
      throw new RivuletError(
        'INVALID_PRODUCER_EPOCH',
        `producer ${producerId} epoch ${epoch} is fenced by epoch ${entry.epoch}`,
        {
          details: { producerId, producerEpoch: epoch, currentEpoch: entry.epoch },
        },
      );
    }
    if (epoch > entry.epoch) {
      if (firstSeq !== 0) throw outOfOrder(producerId, firstSeq, 0);
      return { kind: 'append' };
    }
    const ranges = entry.ranges;
    for (let i = 0; i < ranges.length; i++) {
      if (ranges[i]!.firstSeq !== firstSeq) continue;
      // A retried run may span several remembered ranges (remembered batch by batch after a scan).
      for (let j = i; j < ranges.length; j++) {
        if (ranges[j]!.lastSeq === lastSeq) return { kind: 'duplicate', baseOffset: ranges[i]!.baseOffset };
      }
    }
    const last = ranges[ranges.length - 1];
    const expected = last === undefined ? firstSeq : addSequence(last.lastSeq, 1);
    if (firstSeq !== expected) throw outOfOrder(producerId, firstSeq, expected);
    return { kind: 'append' };
  }

  /** Records an appended run (after `check` said append, or from a scan of the log). */
  record(producerId: number, epoch: number, firstSeq: number, lastSeq: number, baseOffset: number): void {
    let entry = this.#producers.get(producerId);
    if (entry === undefined || epoch > entry.epoch) entry = { epoch, ranges: [] };
    else if (epoch < entry.epoch) return;
    entry.ranges.push({ firstSeq, lastSeq, baseOffset });
    if (entry.ranges.length > RETAINED_BATCHES) entry.ranges.shift();
    // Re-insert: Map order is then least recently active first.
    this.#producers.delete(producerId);
    this.#producers.set(producerId, entry);
    if (this.#producers.size > MAX_PRODUCERS_PER_PARTITION) {
      this.#producers.delete(this.#producers.keys().next().value!);
    }
  }

  toJSON(): Array<[number, number, Array<[number, number, number]>]> {
    return [...this.#producers].map(([id, e]) => [
      id,
      e.epoch,
      e.ranges.map((r) => [r.firstSeq, r.lastSeq, r.baseOffset]),
    ]);
  }

  static fromJSON(rows: unknown): PartitionProducers {
    const out = new PartitionProducers();
    if (!Array.isArray(rows)) throw new Error('producers must be an array');
    for (const row of rows as Array<[number, number, Array<[number, number, number]>]>) {
      const [id, epoch, ranges] = row;
      for (const [firstSeq, lastSeq, baseOffset] of ranges) out.record(id, epoch, firstSeq, lastSeq, baseOffset);
    }
    return out;
  }
}

function outOfOrder(producerId: number, got: number, expected: number): RivuletError {
  return new RivuletError(
    'OUT_OF_ORDER_SEQUENCE_NUMBER',
    `producer ${producerId}: sequence ${got} where ${expected} was expected`,
    { details: { producerId, sequence: got, expectedSequence: expected } },
  );
}

interface SnapshotEntry {
  topic: string;
  partition: number;
  /** Log end offset when written. */
  offset: number;
  /** The last batch covered, to check the log still holds it; null for an empty log. */
  lastBatch: { baseOffset: number; crc: number } | null;
  producers: unknown;
}

/** Producer state of every partition, plus each producer's newest epoch (for fencing). */
export class ProducerStateManager {
  readonly #partitions = new Map<PartitionLog, PartitionProducers>();
  readonly #epochs = new Map<number, number>();
  readonly #path: string;

  private constructor(path: string) {
    this.#path = path;
  }

  /** Rebuilds the state of every partition of `logs` from the snapshot and the log tails. */
  static load(dataDir: string, logs: LogManager): ProducerStateManager {
    const mgr = new ProducerStateManager(join(dataDir, PRODUCER_STATE_FILE));
    const snapshot = new Map<string, SnapshotEntry>();
    const text = readFileIfExists(mgr.#path);
    if (text !== null) {
      try {
        const doc = JSON.parse(text) as { version?: number; partitions?: SnapshotEntry[] };
        if (doc.version === VERSION && Array.isArray(doc.partitions)) {
          for (const e of doc.partitions) snapshot.set(`${e.topic}/${e.partition}`, e);
        }
      } catch (err) {
        console.warn(`rivulet broker: ignoring unreadable ${mgr.#path}: ${(err as Error).message}`);
      }
    }
    for (const topic of logs.topics()) {
      topic.partitions.forEach((log, index) => {
        mgr.#partitions.set(log, mgr.#rebuild(log, snapshot.get(`${topic.name}/${index}`)));
      });
    }
    return mgr;
  }

  /** The newest epoch known for a producer, -1 if none. */
  currentEpoch(producerId: number): number {
    return this.#epochs.get(producerId) ?? -1;
  }

  /** InitProducerId bumped the epoch: older epochs are fenced from now on. */
  setEpoch(producerId: number, epoch: number): void {
    if (epoch > this.currentEpoch(producerId)) this.#epochs.set(producerId, epoch);
  }

  of(log: PartitionLog): PartitionProducers {
    let p = this.#partitions.get(log);
    if (p === undefined) {
      p = new PartitionProducers();
      p.coveredOffset = log.logEndOffset;
      this.#partitions.set(log, p);
    }
    return p;
  }

  /** A run was appended: remember it and its epoch. */
  appended(
    log: PartitionLog,
    producerId: number,
    epoch: number,
    firstSeq: number,
    lastSeq: number,
    baseOffset: number,
  ): void {
    this.of(log).record(producerId, epoch, firstSeq, lastSeq, baseOffset);
    this.setEpoch(producerId, epoch);
  }

  /** Forgets a deleted partition. */
  forget(log: PartitionLog): void {
    this.#partitions.delete(log);
  }

  /** Writes the snapshot; called at clean shutdown, after the logs were synced and before they close. */
  writeSnapshot(logs: LogManager): void {
    const partitions: SnapshotEntry[] = [];
    for (const topic of logs.topics()) {
      topic.partitions.forEach((log, index) => {
        if (log.closed) return;
        partitions.push({
          topic: topic.name,
          partition: index,
          offset: log.logEndOffset,
          lastBatch: lastBatchOf(log),
          producers: this.of(log).toJSON(),
        });
      });
    }
    writeFileAtomicSync(this.#path, JSON.stringify({ version: VERSION, partitions }));
  }

  #rebuild(log: PartitionLog, snap: SnapshotEntry | undefined): PartitionProducers {
    let state = new PartitionProducers();
    let from = log.logStartOffset;
    if (snap !== undefined && snapshotHolds(log, snap)) {
      try {
        state = PartitionProducers.fromJSON(snap.producers);
        from = Math.max(snap.offset, log.logStartOffset);
      } catch {
        state = new PartitionProducers();
      }
    }
    for (const [id, epoch] of epochsOf(state)) this.setEpoch(id, epoch);
    while (from < log.logEndOffset) {
      const views = log.read(from, SCAN_CHUNK_BYTES);
      if (views.length === 0) break;
      for (const view of views) {
        for (let pos = 0; pos + LOG_OVERHEAD <= view.length; pos += LOG_OVERHEAD + readInt32(view, pos + 8)) {
          const h = readBatchHeader(view, pos);
          from = h.baseOffset + h.lastOffsetDelta + 1;
          if (h.producerId < 0) continue;
          state.record(
            h.producerId,
            h.producerEpoch,
            h.baseSequence,
            addSequence(h.baseSequence, h.lastOffsetDelta),
            h.baseOffset,
          );
          this.setEpoch(h.producerId, h.producerEpoch);
        }
      }
    }
    state.coveredOffset = log.logEndOffset;
    return state;
  }
}

function epochsOf(state: PartitionProducers): Array<[number, number]> {
  return state.toJSON().map(([id, epoch]) => [id, epoch]);
}

/** The base offset and CRC of the log's last batch, or null for an empty log. */
function lastBatchOf(log: PartitionLog): { baseOffset: number; crc: number } | null {
  if (log.logEndOffset === log.logStartOffset) return null;
  // The batch holding the last offset: one read of at most one batch.
  const views = log.read(log.logEndOffset - 1, 1);
  const view = views[0];
  if (view === undefined) return null;
  const h = readBatchHeader(view, 0);
  return { baseOffset: h.baseOffset, crc: h.crc };
}

/** Whether the log still holds exactly what the snapshot entry covered. */
function snapshotHolds(log: PartitionLog, snap: SnapshotEntry): boolean {
  if (!Number.isSafeInteger(snap.offset) || snap.offset > log.logEndOffset || snap.offset < log.logStartOffset)
    return false;
  if (snap.lastBatch === null) return snap.offset === log.logStartOffset;
  const { baseOffset, crc } = snap.lastBatch;
  if (baseOffset < log.logStartOffset || baseOffset >= log.logEndOffset) return false;
  try {
    const view = log.read(baseOffset, 1)[0];
    if (view === undefined) return false;
    const h = readBatchHeader(view, 0);
    return h.baseOffset === baseOffset && h.crc === crc && h.baseOffset + h.lastOffsetDelta + 1 === snap.offset;
  } catch {
    return false;
  }
}
