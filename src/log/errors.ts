/**
 * Maps the storage engine's `StorageError`s to the `RivuletError`s the broker answers with.
 * The log layer is the only place this happens, so the broker never sees a StorageError.
 */
import { RivuletError } from '../errors.js';
import type { TopicConfig } from './log-config.js';
import { StorageError } from './storage-error.js';

/** Wraps `err` as a RivuletError (anything already one passes through unchanged). */
export function toRivuletError(err: unknown, what: string): RivuletError {
  if (err instanceof RivuletError) return err;
  if (err instanceof StorageError) {
    const where = err.path ? ` (${err.path})` : '';
    const message = `${what}: ${err.message}${where}`;
    switch (err.code) {
      case 'ECORRUPT':
        return new RivuletError('CORRUPT_MESSAGE', message, { cause: err });
      case 'ETOOLARGE':
        return new RivuletError('RECORD_LIST_TOO_LARGE', message, { cause: err });
      case 'EINVAL':
        return new RivuletError('INVALID_REQUEST', message, { cause: err });
      default:
        // ENOSPC, EIO, EFENCED, ECLOSED: the disk (or this log) cannot serve the request.
        return new RivuletError('KAFKA_STORAGE_ERROR', message, { cause: err, details: { storageCode: err.code } });
    }
  }
  const message = err instanceof Error ? err.message : String(err);
  return new RivuletError('KAFKA_STORAGE_ERROR', `${what}: ${message}`, { cause: err });
}

/** OFFSET_OUT_OF_RANGE with the log's bounds in `details`, so the client can reset its position. */
export function offsetOutOfRange(message: string, logStartOffset: number, logEndOffset: number): RivuletError {
  return new RivuletError('OFFSET_OUT_OF_RANGE', `${message} [${logStartOffset}, ${logEndOffset}]`, {
    details: { logStartOffset, logEndOffset },
  });
}

/** A batch set that no segment of this topic can hold. */
export function setTooLarge(
  size: number,
  config: Pick<TopicConfig, 'segmentBytes' | 'segmentIndexBytes'>,
): RivuletError {
  return new RivuletError(
    'RECORD_LIST_TOO_LARGE',
    `a batch set of ${size} bytes does not fit an empty segment (segment.bytes ${config.segmentBytes}, segment.index.bytes ${config.segmentIndexBytes})`,
    { details: { size, segmentBytes: config.segmentBytes } },
  );
}

export function logClosed(dir: string): RivuletError {
  return new RivuletError('KAFKA_STORAGE_ERROR', `partition log ${dir} is closed`, {
    details: { storageCode: 'ECLOSED' },
  });
}
