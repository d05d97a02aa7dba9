/**
 * Native memory housekeeping for the broker's process. glibc keeps freed C-heap pages
 * (uWebSockets.js's per-socket buffers after a slow reader caught up, say) in the process for
 * good; handing them back keeps the broker's RSS at what it uses. Cheap with a heap of a few MiB,
 * so the broker calls it on a timer.
 */
import { native } from './native.js';

/** How often the broker hands free native memory back. */
export const TRIM_MEMORY_INTERVAL_MS = 30_000;

/** Returns the C heap's free pages to the system; false where there is nothing to call or free. */
export function trimNativeMemory(): boolean {
  return native.trimMemory();
}

/**
 * Keeps blocks of 128 KiB and more mapped on their own, so they go back to the system when freed
 * (glibc otherwise raises its mmap threshold after the first such free, and megabyte buffers then
 * leave their pages in the heap for good: the broker's RSS stepped up at its first peak). The
 * broker calls it when it starts. Loading the addon does not: an SDK client loads it too, and its
 * host's allocator is not ours to set (a consumer would take a fresh page per 4 KiB of every fetch
 * response). False where there is no such setting (not glibc).
 */
export function keepLargeBlocksMapped(): boolean {
  return native.keepLargeBlocksMapped();
}
