/**
 * Storage micro-benchmarks: appending a 100-record batch to a partition log (rolling 64 MiB
 * segments, retention keeping the disk use bounded), a zero-copy read of up to 1 MiB, and a group
 * commit of 64 concurrent sync() calls. Each run uses a fresh temporary directory; the returned
 * function closes the log and removes it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Bench } from 'tinybench';
import { resolveTopicConfig } from '../../src/log/log-config.js';
import { PartitionLog } from '../../src/log/partition-log.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';

const RECORDS_PER_BATCH = 100;
const VALUE_BYTES = 100;
const SEGMENT_BYTES = 64 * 1024 * 1024;
const RETAINED_BYTES = 4 * SEGMENT_BYTES;
const READ_BYTES = 1024 * 1024;
const CONCURRENT_SYNCS = 64;
const RETENTION_EVERY = 1024;

export function addLogCases(bench: Bench): () => Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-bench-log-'));
  const config = resolveTopicConfig({ segmentBytes: SEGMENT_BYTES, retentionBytes: RETAINED_BYTES });
  const log = PartitionLog.open(dir, config, { logger: { info() {}, warn() {} } });
  const value = new Uint8Array(VALUE_BYTES).fill(0x61);
  const batch = encodeRecordBatch(
    Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ key: `key-${i % 16}`, value })),
    { timestamp: 1_700_000_000_000 },
  );
  // Something to read before the read case runs.
  for (let i = 0; i < 256; i++) log.append(batch);
  let appends = 0;

  bench
    .add(`PartitionLog.append: ${RECORDS_PER_BATCH} records × ${VALUE_BYTES} B (bytes/op = ${batch.length})`, () => {
      if (++appends % RETENTION_EVERY === 0) log.applyRetention();
      return log.append(batch);
    })
    .add(`PartitionLog.read: zero-copy views up to 1 MiB (bytes/op ≤ ${READ_BYTES})`, () => {
      return log.read(log.logStartOffset, READ_BYTES);
    })
    .add(`PartitionLog.sync: ${CONCURRENT_SYNCS} concurrent callers after one append (group commit)`, async () => {
      log.append(batch);
      await Promise.all(Array.from({ length: CONCURRENT_SYNCS }, () => log.sync()));
    });

  return async () => {
    await log.close();
    rmSync(dir, { recursive: true, force: true });
  };
}
