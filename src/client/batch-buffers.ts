/**
 * A producer's pool of buffers for encoded record batches. Encoding every batch into a fresh
 * buffer of up to `batchBytes` (1 MiB by default) allocated external memory at the rate records
 * were produced, and that is what drives V8's mark-compacts: 18 % of the client's CPU producing
 * 1 KiB records went to the garbage collector. Batches are encoded into a buffer taken from here
 * instead, and the sender gives it back once the batch is acknowledged.
 *
 * When a buffer may be given back (the sender's side of the contract): only when nothing can read
 * it again. A Produce request's batches are handed to the socket by reference (Node: WebSocket
 * fragments of the batch bytes, not copies), so a batch's bytes are in use until they have been
 * written; the broker's answer proves that they have (it answers only a whole request). Hence:
 * - a batch acknowledged after being sent exactly once: given back (the halves of a split batch
 *   too: they are new batches);
 * - a batch that failed even once (retried, split or given up on): never given back, since an
 *   earlier request that carried it may still sit in some socket's write queue; it is left to the
 *   garbage collector, as before;
 * - acks=0: never answered, so never pooled (`take` is not used for it).
 *
 * Buffers come in power-of-two size classes from {@link MIN_CLASS_BYTES}; a taken buffer is the
 * whole class, and the batch is a view of its first bytes. The free buffers are bounded by
 * `maxFreeBytes` (those beyond it are dropped), and a buffer is accepted back only once per time
 * it was taken, and only if it came from this pool.
 */

/** The smallest buffer handed out: smaller batches share this class. */
export const MIN_CLASS_BYTES = 4 * 1024;
/** Larger buffers are not pooled (their class would not fit an int32 shift). */
const MAX_CLASS_BYTES = 2 ** 30;

export class BatchBufferPool {
  /** Free buffers by size class (log2 of the class size). */
  private readonly free: ArrayBuffer[][] = [];
  private freeBytes = 0;
  /** Buffers taken and not given back yet. Weak: a batch that fails keeps its buffer until it dies. */
  private leased = new WeakSet<ArrayBuffer>();
  /** Buffers taken from the free lists (rather than allocated), for tests and tracing. */
  reused = 0;
  /** Buffers allocated, likewise. */
  allocated = 0;

  constructor(private readonly maxFreeBytes: number) {}

  /**
   * A buffer of at least `size` bytes (its size class), free for the caller until given back.
   * Its contents are whatever the last user left: the caller writes every byte it uses.
   */
  take(size: number): Uint8Array {
    if (size > MAX_CLASS_BYTES) return new Uint8Array(size); // not pooled (and never given back)
    const cls = classOf(size);
    const list = this.free[cls];
    let buf = list?.pop();
    if (buf === undefined) {
      buf = new ArrayBuffer(2 ** cls);
      this.allocated++;
    } else {
      this.freeBytes -= buf.byteLength;
      this.reused++;
    }
    this.leased.add(buf);
    return new Uint8Array(buf);
  }

  /** Takes back the buffer under `bytes` (a view of a buffer from {@link take}); ignores any other. */
  give(bytes: Uint8Array): void {
    const buf = bytes.buffer;
    if (!(buf instanceof ArrayBuffer) || !this.leased.has(buf)) return;
    this.leased.delete(buf);
    if (this.freeBytes + buf.byteLength > this.maxFreeBytes) return;
    const cls = Math.log2(buf.byteLength);
    let list = this.free[cls];
    if (list === undefined) {
      list = [];
      this.free[cls] = list;
    }
    list.push(buf);
    this.freeBytes += buf.byteLength;
  }

  /** Drops every free buffer (the producer is closed); buffers still leased are not taken back. */
  clear(): void {
    this.free.length = 0;
    this.freeBytes = 0;
    this.leased = new WeakSet();
  }

  /** Bytes in free buffers. */
  get idleBytes(): number {
    return this.freeBytes;
  }
}

/** log2 of the smallest power-of-two class of at least `size` bytes. */
function classOf(size: number): number {
  if (size <= MIN_CLASS_BYTES) return Math.log2(MIN_CLASS_BYTES);
  return 32 - Math.clz32(size - 1);
}
