/**
 * What this machine's disk takes when every write must be on it before the next: `files` files
 * written at once, each in `chunk`-byte writes, each write followed by an fdatasync, `bytes` in
 * all, in a temp dir on the same file system as the brokers' data. That is an acks=all broker's
 * disk work with nothing else (no network, no checks, no indexes), so it bounds what any broker
 * can acknowledge durably here. Runs on libuv's thread pool, as the broker's flushes do.
 */
import { type FileHandle, open } from 'node:fs/promises';
import { join } from 'node:path';
import { removeDir, tempDir } from './lib.js';

export interface DiskCeiling {
  /** Bytes written and synced per second (10^9 B/s). */
  gbps: number;
  seconds: number;
}

export async function durableWriteCeiling(
  files = 8,
  chunk = 1024 * 1024,
  bytes = 1024 * 1024 * 1024,
): Promise<DiskCeiling> {
  const dir = tempDir('rivulet-disk-');
  const data = Buffer.alloc(chunk, 0x5a);
  const perFile = Math.floor(bytes / files / chunk);
  const handles: FileHandle[] = [];
  try {
    for (let i = 0; i < files; i++) handles.push(await open(join(dir, `f${i}`), 'w'));
    const start = performance.now();
    await Promise.all(
      handles.map(async (h) => {
        for (let i = 0; i < perFile; i++) {
          await h.write(data, 0, chunk, i * chunk);
          await h.datasync();
        }
      }),
    );
    const seconds = (performance.now() - start) / 1000;
    return { gbps: (perFile * files * chunk) / seconds / 1e9, seconds };
  } finally {
    // Also when a write fails (a full disk): no descriptor outlives the run.
    await Promise.allSettled(handles.map((h) => h.close()));
    removeDir(dir);
  }
}
