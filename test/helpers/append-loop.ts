/**
 * Child process for the crash test: opens a PartitionLog, appends batches in a loop, awaits sync()
 * every few appends and prints each flushed offset on its own line to stdout. The parent kills it
 * with SIGKILL at some point and checks what survived.
 *
 *   node append-loop.js <dir> <segmentBytes> <recordsPerBatch> <syncEvery>
 */
import { resolveTopicConfig } from '../../src/log/log-config.js';
import { PartitionLog } from '../../src/log/partition-log.js';
import { makeBatch } from './batches.js';

const [dir, segmentBytes, recordsPerBatch, syncEvery] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: append-loop <dir> <segmentBytes> <recordsPerBatch> <syncEvery>');
const config = resolveTopicConfig({ segmentBytes: Number(segmentBytes ?? 65536), indexIntervalBytes: 1024 });
const count = Number(recordsPerBatch ?? 5);
const every = Number(syncEvery ?? 4);
const quiet = { info() {}, warn() {} };

const log = PartitionLog.open(dir, config, { logger: quiet });
process.stdout.write(`start ${log.logEndOffset}\n`);
for (let i = 1; ; i++) {
  const first = log.logEndOffset;
  log.append(makeBatch({ first, count, pad: 200 }));
  if (i % every === 0) {
    await log.sync();
    // Pipes are synchronous on Linux: once written, the parent can rely on this line.
    process.stdout.write(`flushed ${log.flushedOffset}\n`);
  }
}
