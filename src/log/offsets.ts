/**
 * The offset kinds of a partition and their order, asserted in one place.
 *
 *   logStartOffset ≤ flushedOffset ≤ highWatermark ≤ logEndOffset
 *
 * - logStartOffset: the first offset a reader may ask for (moves up with retention and DeleteRecords).
 * - flushedOffset: every batch below it is on disk (fdatasync'd) or was deleted.
 * - highWatermark: the last offset + 1 that consumers may see. One broker: equal to logEndOffset;
 *   with replication it becomes the offset every in-sync replica has.
 * - logEndOffset: the offset the next appended record gets.
 *
 * Offsets and timestamps are JS numbers in TypeScript, int64 on disk and on the wire.
 */
import { RivuletError } from '../errors.js';

/** 2^53 − 1: the largest offset a JS number holds exactly. */
export const MAX_OFFSET = Number.MAX_SAFE_INTEGER;

export interface OffsetState {
  logStartOffset: number;
  flushedOffset: number;
  highWatermark: number;
  logEndOffset: number;
}

/** Throws unless `offset` is an integer in [0, 2^53 − 1]. */
export function assertOffset(offset: number, what = 'offset'): void {
  if (!Number.isSafeInteger(offset) || offset < 0) {
    throw new RivuletError('INVALID_ARGUMENT', `${what} must be an integer in [0, 2^53 − 1], got ${offset}`);
  }
}

/** The one place the order of the offset kinds is checked. A violation is a bug in the log layer. */
export function assertOffsetOrder(s: OffsetState, where: string): void {
  if (
    !(
      s.logStartOffset <= s.flushedOffset &&
      s.flushedOffset <= s.highWatermark &&
      s.highWatermark <= s.logEndOffset &&
      s.logEndOffset <= MAX_OFFSET &&
      s.logStartOffset >= 0
    )
  ) {
    throw new Error(
      `offset order broken in ${where}: logStart ${s.logStartOffset} ≤ flushed ${s.flushedOffset} ≤ ` +
        `highWatermark ${s.highWatermark} ≤ logEnd ${s.logEndOffset} ≤ 2^53 − 1 does not hold`,
    );
  }
}
