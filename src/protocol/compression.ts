/**
 * Codecs for the records section of a RecordBatch (attributes bits 0-2). Synchronous, and
 * isomorphic by default: gzip goes through fflate, which runs in browsers. The Node side may
 * swap in node:zlib (faster) or add snappy, lz4 and zstd with {@link registerCodec}; the ids are
 * Kafka's, so a batch names its codec the same way on every client.
 */
import { gunzipSync, gzipSync } from 'fflate';
import { RivuletError } from '../errors.js';

/** Kafka's compression ids, by name (`CompressionType` in the Java client). */
export const COMPRESSION_IDS = { none: 0, gzip: 1, snappy: 2, lz4: 3, zstd: 4 } as const;
export type CompressionType = keyof typeof COMPRESSION_IDS;

const NAMES_BY_ID: readonly CompressionType[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

export interface Codec {
  compress(data: Uint8Array): Uint8Array;
  decompress(data: Uint8Array): Uint8Array;
}

const identity: Codec = {
  compress: (data) => data,
  decompress: (data) => data,
};

const fflateGzip: Codec = {
  // Level 6 is zlib's default: the size/speed trade most Kafka clients make.
  compress: (data) => gzipSync(data, { level: 6 }),
  decompress: (data) => gunzipSync(data),
};

const codecs = new Map<CompressionType, Codec>([
  ['none', identity],
  ['gzip', fflateGzip],
]);

/** The name for a 3-bit compression id, or undefined for the ids Kafka leaves unassigned (5-7). */
export function compressionName(id: number): CompressionType | undefined {
  return NAMES_BY_ID[id];
}

/** Installs (or replaces) the codec for `type`. 'none' is fixed. */
export function registerCodec(type: CompressionType, codec: Codec): void {
  if (!Object.hasOwn(COMPRESSION_IDS, type)) {
    throw new RivuletError('INVALID_ARGUMENT', `unknown compression type '${String(type)}'`);
  }
  if (type === 'none') throw new RivuletError('INVALID_ARGUMENT', "the 'none' codec cannot be replaced");
  codecs.set(type, codec);
}

/** True when a codec for `type` is installed. */
export function hasCodec(type: CompressionType): boolean {
  return codecs.has(type);
}

function codecFor(type: CompressionType): Codec {
  const codec = codecs.get(type);
  if (codec === undefined) {
    throw new RivuletError(
      'UNSUPPORTED_COMPRESSION_TYPE',
      `no codec installed for compression '${String(type)}' (installed: ${[...codecs.keys()].join(', ')})`,
    );
  }
  return codec;
}

/** Compresses `data` with the codec for `type`. Throws UNSUPPORTED_COMPRESSION_TYPE if none is installed. */
export function compress(type: CompressionType, data: Uint8Array): Uint8Array {
  return codecFor(type).compress(data);
}

/**
 * Decompresses `data` with the codec for `type`. Throws UNSUPPORTED_COMPRESSION_TYPE if none is
 * installed, CORRUPT_MESSAGE if the codec rejects the bytes.
 */
export function decompress(type: CompressionType, data: Uint8Array): Uint8Array {
  const codec = codecFor(type);
  try {
    return codec.decompress(data);
  } catch (err) {
    if (err instanceof RivuletError) throw err;
    throw new RivuletError('CORRUPT_MESSAGE', `${type} data does not decompress: ${(err as Error).message}`, {
      cause: err,
    });
  }
}
