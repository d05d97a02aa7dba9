/**
 * The idempotent producer's identity: a producer id and epoch from InitProducerId, and the
 * re-stamping of already encoded batches when the epoch is bumped (after a batch was given up
 * on, its sequence range is a gap the broker would refuse forever; a new epoch restarts every
 * partition's sequence at 0, as Kafka's KIP-360 does).
 */
import { RivuletError } from '../errors.js';
import { InitProducerId } from '../protocol/apis/init-producer-id.js';
import { crc32c } from '../protocol/crc32c.js';
import {
  ATTRIBUTES_OFFSET,
  BASE_SEQUENCE_OFFSET,
  CRC_OFFSET,
  PRODUCER_EPOCH_OFFSET,
  PRODUCER_ID_OFFSET,
  setInt64,
  viewOf,
} from '../protocol/record-batch-layout.js';
import type { Cluster } from './cluster.js';

/** Sequence numbers are int32 and wrap to 0 after the largest, as in Kafka. */
export const MAX_SEQUENCE = 0x7fffffff;

export function nextSequence(seq: number, count: number): number {
  const n = seq + count;
  return n > MAX_SEQUENCE ? n - MAX_SEQUENCE - 1 : n;
}

export class ProducerIdentity {
  producerId = -1;
  producerEpoch = -1;
  /** Set when sequences are broken: no idempotent batch is sent until {@link bump} ran. */
  needsBump = false;
  private pending: Promise<void> | undefined;

  constructor(private readonly cluster: Cluster) {}

  get ready(): boolean {
    return this.producerId >= 0 && !this.needsBump;
  }

  /** Gets an id the first time, or a bumped epoch when {@link needsBump}. Concurrent calls share one request. */
  ensure(): Promise<void> {
    this.pending ??= this.fetch().finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async fetch(): Promise<void> {
    if (this.ready) return;
    let res: { producerId: number; producerEpoch: number };
    if (this.producerId >= 0) {
      try {
        res = await this.request(this.producerId, this.producerEpoch);
      } catch (err) {
        // The broker no longer knows this id (or refuses the bump): start over with a new one.
        if (err instanceof RivuletError && err.retriable) throw err;
        res = await this.request(-1, -1);
      }
    } else {
      res = await this.request(-1, -1);
    }
    if (res.producerId < 0 || res.producerEpoch < 0) {
      throw new RivuletError('PROTOCOL_ERROR', `InitProducerId answered producerId ${res.producerId}, epoch ${res.producerEpoch}`);
    }
    this.producerId = res.producerId;
    this.producerEpoch = res.producerEpoch;
    this.needsBump = false;
  }

  private async request(producerId: number, producerEpoch: number): Promise<{ producerId: number; producerEpoch: number }> {
    const res = await this.cluster.requestAny(InitProducerId, {
      transactionalId: null,
      transactionTimeoutMs: 60_000,
      producerId,
      producerEpoch,
    });
    return res.body;
  }
}

/** Rewrites the producer fields of an encoded batch and its CRC (they are inside the CRC'd range). */
export function restamp(batch: Uint8Array, producerId: number, producerEpoch: number, baseSequence: number): void {
  const view = viewOf(batch);
  setInt64(view, PRODUCER_ID_OFFSET, producerId);
  view.setInt16(PRODUCER_EPOCH_OFFSET, producerEpoch);
  view.setInt32(BASE_SEQUENCE_OFFSET, baseSequence);
  view.setUint32(CRC_OFFSET, crc32c(batch, 0, ATTRIBUTES_OFFSET, batch.length));
}
