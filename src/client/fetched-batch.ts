/**
 * A partition's share of a fetch response, as handed from the fetcher to the consumer: checked on
 * arrival (batch headers and CRCs), its records decoded only when the consumer first looks.
 */
import { RivuletError } from '../errors.js';
import { batchSize, HEADER_SIZE_UP_TO_MAGIC, readBatchHeader, verifyBatchCrc } from '../protocol/record-batch.js';
import type { PartitionState } from './partition-state.js';
import { corruptAt, decodeMessages } from './record-decoding.js';
import type { Batch, KafkaMessage } from './types.js';

export interface FetchedBatch {
  readonly state: PartitionState;
  readonly generation: number;
  /** Decoded on first access; may be empty (every record before the fetch offset). */
  readonly messages: KafkaMessage[];
  readonly highWatermark: number;
  /**
   * Handled: drop the references to its messages and bytes (the rest of the fetch may take a
   * while, and messages that die young cost the GC almost nothing). `messages` is empty after.
   */
  release(): void;
}

/**
 * Checks fetched chunks and moves the fetch offset past them; returns what to hand out, or
 * undefined when nothing is at or after the fetch offset. Only batch headers are read here (and
 * CRCs verified): the records are decoded when the consumer first looks at the messages, one
 * partition at a time, so the messages of a whole fetch (and of the one fetched ahead) never
 * live at once, and most die young. A start by timestamp decodes at once (it moves the position).
 */
export function scanFetched(
  s: PartitionState,
  generation: number,
  chunks: Uint8Array[],
  highWatermark: number,
  where: string,
  verify: boolean,
): FetchedBatch | undefined {
  if (s.skipBeforeTimestamp !== undefined) {
    // Decodes into messages at or after the fetch offset, and moves the fetch offset on.
    const { messages, next } = decodeMessages(chunks, s.fetchOffset, verify, s);
    s.fetchOffset = next;
    return messages.length > 0 ? new FetchedMessages(s, generation, highWatermark, messages, [], -1, where) : undefined;
  }
  const from = s.fetchOffset;
  let next = from;
  let any = false;
  for (const chunk of chunks) {
    const len = chunk.length;
    let pos = 0;
    // As decodeRecordBatches: a trailing partial batch (a fetch cut at maxBytes) is ignored.
    while (len - pos >= HEADER_SIZE_UP_TO_MAGIC) {
      const size = batchSize(chunk, pos);
      if (len - pos < size) break;
      const h = readBatchHeader(chunk, pos);
      if (verify && !verifyBatchCrc(chunk, pos)) {
        throw new RivuletError('CORRUPT_MESSAGE', `batch at byte ${pos} (baseOffset ${h.baseOffset}): CRC mismatch, stored 0x${h.crc.toString(16).padStart(8, '0')}`);
      }
      const end = h.baseOffset + h.lastOffsetDelta + 1;
      if (end > next) next = end;
      if (!h.isControl && h.recordCount > 0 && end > from) any = true;
      pos += size;
    }
  }
  s.fetchOffset = next;
  return any ? new FetchedMessages(s, generation, highWatermark, undefined, chunks, from, where) : undefined;
}

/** A partition's fetched data; its messages are decoded on first access (CRCs were checked on arrival). */
class FetchedMessages implements FetchedBatch {
  private decoded: KafkaMessage[] | undefined;

  constructor(
    readonly state: PartitionState,
    readonly generation: number,
    readonly highWatermark: number,
    decoded: KafkaMessage[] | undefined,
    private chunks: Uint8Array[],
    private readonly from: number,
    private readonly where: string,
  ) {
    this.decoded = decoded;
  }

  /** Throws CORRUPT_MESSAGE (not retriable) when a record inside a CRC-valid batch cannot be read. */
  get messages(): KafkaMessage[] {
    if (this.decoded === undefined) {
      try {
        this.decoded = decodeMessages(this.chunks, this.from, false, undefined).messages;
      } catch (err) {
        throw corruptAt(this.where, `${this.state.topic}/${this.state.partition}`, err);
      }
      this.chunks = [];
    }
    return this.decoded;
  }

  release(): void {
    this.decoded = [];
    this.chunks = [];
  }
}

/** The application's view of a fetched batch (`eachBatch`, the async iterator). */
export function toBatch(b: FetchedBatch): Batch {
  return { topic: b.state.topic, partition: b.state.partition, highWatermark: b.highWatermark, messages: b.messages };
}
