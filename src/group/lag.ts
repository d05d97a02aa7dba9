/**
 * Consumer lag of one partition: how many records the group has still to read.
 *
 *   lag = endOffset − max(committed, logStartOffset)      (never below 0)
 *
 * `endOffset` is what consumers can read up to: the high watermark (equal to the log end offset
 * on one broker). A committed offset below the log start (retention deleted records the group had
 * not read) counts from the log start, since nothing below it can be read any more. No committed
 * offset (null or -1): the whole log is lag.
 */
export function lag(committed: number | null | undefined, endOffset: number, logStartOffset = 0): number {
  const from = committed === null || committed === undefined || committed < 0 ? logStartOffset : committed;
  return Math.max(0, endOffset - Math.max(from, logStartOffset));
}
