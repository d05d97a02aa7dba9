/**
 * trimMemory (malloc_trim) gives freed C-heap pages back: memory freed below a live allocation
 * stays in the process otherwise. Buffers under the mmap threshold live on that heap.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { trimNativeMemory } from '../../src/log/memory.js';
import { forceGc } from './helpers.js';

function rssAnonBytes(): number {
  const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'));
  return Number(m![1]) * 1024;
}

// Under AddressSanitizer (npm run test:asan) malloc is ASan's, with its own quarantine: glibc's
// malloc_trim has nothing to give back there.
const underAsan = (process.env.LD_PRELOAD ?? '').includes('asan');

test('trimMemory returns freed C-heap pages that free() kept', {
  skip: process.platform !== 'linux' ? 'Linux only' : underAsan ? 'glibc malloc replaced by ASan' : false,
}, () => {
  trimNativeMemory();
  // 96 MiB in 32 KiB buffers (malloc'd, not mmapped), then one kept allocation above them.
  const many: Array<Buffer | undefined> = Array.from({ length: 3072 }, () => Buffer.allocUnsafeSlow(32 * 1024).fill(1));
  const pin = Buffer.allocUnsafeSlow(32 * 1024).fill(2);
  assert.equal(many.length, 3072);
  many.fill(undefined);
  forceGc();
  forceGc();
  const before = rssAnonBytes();
  assert.equal(typeof trimNativeMemory(), 'boolean');
  const after = rssAnonBytes();
  assert.ok(before - after > 32 * 1024 * 1024, `RssAnon ${before >> 20} MiB -> ${after >> 20} MiB`);
  assert.equal(pin[0], 2);
});
