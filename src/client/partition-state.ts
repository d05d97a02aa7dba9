/**
 * One assigned partition as the fetcher and the consumer see it.
 *
 * Positions: `fetchOffset` is where the next fetch of a partition starts (moved on when data
 * arrives); `position` is the next offset the application is owed (moved on as it consumes). A
 * seek, pause or offset reset bumps the partition's `generation`, which voids any result fetched
 * before it.
 */
import type { OffsetSpec } from './types.js';

export class PartitionState {
  /** Where to start when `fetchOffset` is unresolved (-1). */
  spec: OffsetSpec | undefined;
  fetchOffset = -1;
  /** The next offset owed to the application (-1 until resolved). */
  position = -1;
  paused = false;
  generation = 0;
  highWatermark = -1;
  /** Handler failures in a row (the consumer gives up past its retries). */
  failures = 0;
  /**
   * After a start by timestamp: records before the first one at or after it are skipped (the
   * broker answers with the base offset of the first batch that reaches the timestamp).
   */
  skipBeforeTimestamp: number | undefined;

  constructor(
    readonly topic: string,
    readonly partition: number,
    spec: OffsetSpec,
  ) {
    this.spec = spec;
  }

  /** Voids fetched data and restarts from `spec`. */
  reset(spec: OffsetSpec): void {
    this.generation++;
    this.spec = spec;
    this.fetchOffset = -1;
    this.skipBeforeTimestamp = undefined;
  }

  /** Voids fetched data and restarts at the application's position (resume, handler failure). */
  rewind(): void {
    this.generation++;
    if (this.position >= 0) this.fetchOffset = this.position;
  }
}
