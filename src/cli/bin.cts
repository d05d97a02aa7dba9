#!/usr/bin/env node
/**
 * The `rivulet` executable: sets what must be set before any ES module loads, then runs main.js.
 *
 * `rivulet broker` gets 8 threads in libuv's thread pool (unless UV_THREADPOOL_SIZE is set). The
 * pool runs every flush (fdatasync), and a produce request with acks=all waits for the flush of
 * each partition it wrote: libuv's default of 4 threads runs an 8-partition request's flushes in
 * two rounds. Measured at 1.36 M records/s over 8 partitions: p99 4.2–4.7 → 3.5–4.1 ms with 8
 * (BENCHMARKS.md). The threads wait on the disk, not on a core. libuv sizes the pool once, when
 * it first starts, and the ES module loader starts it: hence this CommonJS file, which runs first.
 */
const FLUSH_THREADS = 8;

if (process.argv[2] === 'broker') process.env.UV_THREADPOOL_SIZE ??= String(FLUSH_THREADS);
void import('./main.js');
