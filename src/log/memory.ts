/**
 * Native memory housekeeping. glibc keeps freed C-heap pages (uWebSockets.js's per-socket
 * buffers after a slow reader caught up, say) in the process for good; handing them back keeps
 * the broker's RSS at what it uses. Cheap with a heap of a few MiB, so the broker calls it on a
 * timer.
 */
import { native } from './native.js';

/** How often the broker hands free native memory back. */
export const TRIM_MEMORY_INTERVAL_MS = 30_000;

/** Returns the C heap's free pages to the system; false where there is nothing to call or free. */
export function trimNativeMemory(): boolean {
  return native.trimMemory();
}
