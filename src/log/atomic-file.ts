/**
 * Small files replaced atomically: write a temporary file, fsync it, rename it over the old one,
 * fsync the directory. A crash leaves either the old content or the new one, never a mix.
 * Synchronous: only metadata changes (topic creation, DeleteRecords) use it, never the hot path.
 */
import { closeSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

export function writeFileAtomicSync(path: string, data: string | Uint8Array): void {
  replaceFile(path, data, true);
}

/**
 * The same without the two fsyncs: atomic against a crash of the process, not against a power
 * loss, after which the file may hold its old content, or a prefix of the new one, or nothing.
 * Only for files where any of those is safe (a recovery point: an older or smaller one means more
 * scanning, never less), written often enough that the fsyncs would cost (every partition, each
 * minute, on the event loop).
 */
export function writeFileReplaceSync(path: string, data: string | Uint8Array): void {
  replaceFile(path, data, false);
}

function replaceFile(path: string, data: string | Uint8Array, durable: boolean): void {
  const tmp = join(dirname(path), `.${basename(path)}.tmp`);
  const fd = openSync(tmp, 'w', 0o644);
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    if (durable) fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  if (durable) fsyncDirSync(dirname(path));
}

export function fsyncDirSync(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** The file's text, or null when it does not exist. */
export function readFileIfExists(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}
