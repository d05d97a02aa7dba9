/**
 * Codes the storage engine raises. The native addon builds `StorageError`s itself (the class is
 * handed to it once at load), and a test asserts that its list matches this one.
 */
export const StorageErrorCodes = [
  'ECORRUPT', // a batch failed validation (length, magic, CRC): nothing of the buffer was appended
  'ENOSPC', // the disk is full: the write was refused, reads go on
  'EINVAL', // an argument the storage engine cannot honour (offset out of the segment, bad size)
  'ECLOSED', // the segment or log was closed
  'EIO', // any other operating-system failure (errno and path say which)
  'ETOOLARGE', // a batch larger than a whole segment can hold
  'EFENCED', // a previous write failed: the segment refuses appends until reopened
  'ELOCKED', // a data directory's `.lock` is held by another process (or another LogManager)
] as const;
export type StorageErrorCode = (typeof StorageErrorCodes)[number];

export class StorageError extends Error {
  readonly code: StorageErrorCode;
  readonly errno: number | undefined;
  readonly path: string | undefined;

  constructor(code: StorageErrorCode, message: string, errno?: number, path?: string) {
    super(message);
    this.name = 'StorageError';
    this.code = code;
    this.errno = errno;
    this.path = path;
  }
}
