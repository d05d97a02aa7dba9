/**
 * The data directory's lock, as Kafka's `.lock` in each log dir: one exclusive OS file lock
 * (`flock`) on `<dataDir>/.lock`, taken before anything in the directory is read or written and
 * dropped when the LogManager closes. A second broker, or anything else that opens the same
 * directory through a LogManager, fails at once instead of corrupting the first one's segments.
 *
 * The kernel drops the lock when its holder dies, so a crashed or killed broker never leaves a
 * stale lock behind: the `.lock` file stays (empty) but locks nothing. Anything that lists the
 * data directory must skip `DATA_DIR_LOCK_FILE`.
 */
import { join } from 'node:path';
import { RivuletError } from '../errors.js';
import { native, StorageError } from './native.js';

/** Name of the lock file inside the data directory (native/core/dir_lock.h: kDirLockFileName). */
export const DATA_DIR_LOCK_FILE = '.lock';

export interface DataDirLock {
  readonly dataDir: string;
  /** `<dataDir>/.lock`. */
  readonly path: string;
  /** Drops the lock. Idempotent. */
  release(): void;
}

/**
 * Locks an existing data directory. KAFKA_STORAGE_ERROR (not retriable, `details.storageCode`
 * 'ELOCKED', the StorageError as `cause`) when another process or LogManager holds it; other
 * storage failures (EIO: cannot create the lock file) come as KAFKA_STORAGE_ERROR too; misuse
 * (a TypeError or RangeError from the addon) passes through.
 */
export function lockDataDir(dataDir: string): DataDirLock {
  const path = join(dataDir, DATA_DIR_LOCK_FILE);
  try {
    const lock = new native.DirLock(dataDir);
    return { dataDir, path: lock.path, release: () => lock.release() };
  } catch (err) {
    if (err instanceof StorageError && err.code === 'ELOCKED') {
      throw new RivuletError(
        'KAFKA_STORAGE_ERROR',
        `data directory ${dataDir} is in use by another Rivulet process (lock ${path}); stop that broker or use another data directory`,
        { retriable: false, cause: err, details: { storageCode: err.code, dataDir, lockPath: path } },
      );
    }
    if (!(err instanceof StorageError)) throw err; // misuse: a TypeError or RangeError
    throw new RivuletError('KAFKA_STORAGE_ERROR', `cannot lock data directory ${dataDir}: ${err.message}`, {
      retriable: false,
      cause: err,
      details: { storageCode: err.code, dataDir, lockPath: path },
    });
  }
}
