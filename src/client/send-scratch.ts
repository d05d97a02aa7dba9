/**
 * The columns a send() fills and reads while it writes its records into batches, kept by the
 * producer from call to call. A send of one message otherwise made five arrays and an object of
 * its own, and with many sends outstanding the garbage collector spent about as long on them as
 * the sends themselves took. What outlives the synchronous run (each record's batch and index in
 * it) is still made per call.
 *
 * Only small sends share the producer's scratch. A large one gets columns of its own, as before:
 * storing thousands of new keys and values into long-lived arrays made V8 record every store for
 * its next scavenge, and clearing them again cost more than new arrays (measured: 10,000-message
 * sends about 15 % slower through a shared scratch).
 */
import type { RecordInput } from '../protocol/record-batch.js';
import { type MessageFields, messageFields } from './bytes.js';

/** Sends of at most this many messages use the producer's shared scratch. */
export const SHARED_SCRATCH_RECORDS = 128;

export class SendScratch {
  keys: (Uint8Array | string | null)[] = [];
  values: (Uint8Array | string | null)[] = [];
  /** Only filled when a record of the send has headers (then `headersUsed`). */
  headers: RecordInput['headers'][] = [];
  headersUsed = false;
  readonly stamps: Float64Array;
  readonly sizes: Float64Array;
  /** -1: a keyless record without a partition (the sticky partition is chosen while queueing). */
  readonly partitions: Int32Array;
  /** The order records are written in (writingOrder), one topic's records at a time. */
  readonly order: Int32Array;
  readonly fields: MessageFields = messageFields();
  /** In use by a send: a send started meanwhile (from a custom partitioner) takes its own. */
  busy = false;

  constructor(records = SHARED_SCRATCH_RECORDS) {
    this.stamps = new Float64Array(records);
    this.sizes = new Float64Array(records);
    this.partitions = new Int32Array(records);
    this.order = new Int32Array(records);
  }

  /** Drops the references to a send's keys, values and headers (they may be large), and frees it. */
  release(records: number): void {
    this.keys.fill(null, 0, records);
    this.values.fill(null, 0, records);
    if (this.headersUsed) this.headers.fill(undefined, 0, records);
    this.headersUsed = false;
    this.busy = false;
  }
}
