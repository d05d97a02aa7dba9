/**
 * Startup of one partition directory: open its segments, recover the tail, restore the log start.
 *
 * - Every `<20 digits>.log` is opened, oldest first; `.deleted` leftovers are removed.
 * - The last segment is always recovered: the storage engine scans it from its last index entry,
 *   validates each batch (length, magic 2, CRC) and cuts at the first invalid one (a torn write),
 *   reporting what it cut. An older segment is recovered too when its end does not meet the next
 *   one's base offset (a roll that was torn). Everything but the last segment is sealed.
 * - An empty directory gets its first segment at offset 0.
 * - The log start offset is the first segment's base, or the `log-start-offset` file DeleteRecords
 *   wrote when that is further on.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readFileIfExists } from './atomic-file.js';
import type { RecoveryReport } from './native.js';
import { MAX_OFFSET } from './offsets.js';
import { type LogLogger, type SegmentSettings, Segments, scanSegmentDir } from './segments.js';

/** Where DeleteRecords keeps a log start offset that falls inside a segment. */
export const LOG_START_OFFSET_FILE = 'log-start-offset';

export interface LoadedPartition {
  segments: Segments;
  /** The report of the last segment's recovery; null for a fresh directory. */
  recovery: RecoveryReport | null;
  logStartOffset: number;
}

export function loadPartitionDir(settings: SegmentSettings, logger: LogLogger): LoadedPartition {
  const { dir } = settings;
  mkdirSync(dir, { recursive: true });
  const segments = new Segments(settings, logger);
  const bases = scanSegmentDir(dir, logger);
  let recovery: RecoveryReport | null = null;
  try {
    if (bases.length === 0) {
      segments.create(0);
    } else {
      for (const base of bases) segments.open(base);
      const all = segments.all;
      for (let i = 0; i < all.length; i++) {
        const seg = all[i]!;
        const next = all[i + 1];
        if (next === undefined) {
          recovery = seg.recover();
          report(logger, dir, seg.baseOffset, recovery, true);
        } else {
          if (seg.nextOffset !== next.baseOffset) {
            const r = seg.recover();
            report(logger, dir, seg.baseOffset, r, false);
            if (seg.nextOffset > next.baseOffset) {
              logger.warn('segment overlaps the next one; the next one wins for the overlapping offsets', {
                dir,
                segment: seg.baseOffset,
                nextOffset: seg.nextOffset,
                nextSegment: next.baseOffset,
              });
            }
          }
          if (seg.active) seg.seal();
        }
      }
    }
  } catch (err) {
    for (const seg of segments.all) seg.close();
    throw err;
  }
  const logEnd = segments.active.nextOffset;
  if (logEnd > MAX_OFFSET) throw new Error(`${dir}: log end offset ${logEnd} beyond 2^53 − 1`);
  let logStartOffset = segments.first.baseOffset;
  const saved = readFileIfExists(join(dir, LOG_START_OFFSET_FILE));
  if (saved !== null) {
    const n = Number(saved.trim());
    if (Number.isSafeInteger(n) && n > logStartOffset) logStartOffset = Math.min(n, logEnd);
  }
  return { segments, recovery, logStartOffset };
}

function report(logger: LogLogger, dir: string, segment: number, r: RecoveryReport, last: boolean): void {
  const fields = { dir, segment, validBytes: r.validBytes, truncatedBytes: r.truncatedBytes, nextOffset: r.nextOffset };
  if (r.truncatedBytes > 0) {
    logger.warn(`recovery cut ${r.truncatedBytes} bytes: ${r.reason ?? 'invalid tail'}`, {
      ...fields,
      reason: r.reason,
    });
  } else if (!last || r.reason !== null) {
    logger.info('recovered segment', { ...fields, reason: r.reason });
  }
}
