/**
 * What tells a start after a clean shutdown from one after a crash, as Kafka has it: the
 * `<dataDir>/.clean-shutdown` marker written once every partition is synced and closed, and each
 * partition's recovery point (its flushed offset, recovery.ts) saved every minute and at close.
 * After an unclean shutdown, segments ending above their recovery point are recovered in full.
 */
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fsyncDirSync, writeFileAtomicSync } from './atomic-file.js';
import type { PartitionLog } from './partition-log.js';
import { writeRecoveryPoint } from './recovery.js';
import type { LogLogger } from './segments.js';

/** Written by LogManager.close() once every partition is synced and closed; deleted by open. */
export const CLEAN_SHUTDOWN_FILE = '.clean-shutdown';
/** How often every partition's recovery point is saved (Kafka's log.flush.offset.checkpoint.interval.ms). */
export const RECOVERY_POINT_INTERVAL_MS = 60_000;

/** Whether the last shutdown was clean; the marker is deleted (durably) either way. */
export function takeCleanShutdownMarker(dataDir: string): boolean {
  const marker = join(dataDir, CLEAN_SHUTDOWN_FILE);
  if (!existsSync(marker)) return false;
  rmSync(marker);
  fsyncDirSync(dataDir);
  return true;
}

export function writeCleanShutdownMarker(dataDir: string, logger: LogLogger): void {
  try {
    writeFileAtomicSync(join(dataDir, CLEAN_SHUTDOWN_FILE), '');
  } catch (err) {
    logger.warn('could not write the clean-shutdown marker', { dataDir, error: String(err) });
  }
}

/** Saves partitions' flushed offsets as their recovery points, skipping the unchanged ones. */
export class RecoveryPoints {
  readonly #saved = new WeakMap<PartitionLog, number>();
  readonly #logger: LogLogger;

  constructor(logger: LogLogger) {
    this.#logger = logger;
  }

  /**
   * False when one failed. The periodic saves skip the fsyncs (see writeRecoveryPoint): with many
   * partitions they would block the event loop for a second a minute.
   */
  save(partitions: Iterable<PartitionLog>, durable: boolean): boolean {
    let ok = true;
    for (const p of partitions) {
      const offset = p.flushedOffset;
      // A periodic save may have left the same value only in the page cache: a durable save
      // writes every partition.
      if (!durable && this.#saved.get(p) === offset) continue;
      try {
        writeRecoveryPoint(p.dir, offset, durable);
        this.#saved.set(p, offset);
      } catch (err) {
        ok = false;
        this.#logger.warn('could not save the recovery point', { dir: p.dir, error: String(err) });
      }
    }
    return ok;
  }
}
