import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { dumpLog } from '../../src/log/dump-log.js';
import { resolveTopicConfig } from '../../src/log/log-config.js';
import { PartitionLog } from '../../src/log/partition-log.js';
import { makeBatch, numberOf, recordsOf } from '../helpers/batches.js';
import { tempDir } from '../helpers/tmp-dir.js';

const SCRIPT = fileURLToPath(new URL('../helpers/append-loop.js', import.meta.url));
const SEGMENT_BYTES = 64 * 1024;
/** Flushed offsets to see before pulling the plug: enough for several segment rolls. */
const FLUSHES_BEFORE_KILL = 80;

interface ChildRun {
  flushed: number;
  lines: number;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function runAndKill(dir: string): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SCRIPT, dir, String(SEGMENT_BYTES), '5', '4'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let flushed = -1;
    let lines = 0;
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    createInterface({ input: child.stdout }).on('line', (line) => {
      const m = /^flushed (\d+)$/.exec(line);
      if (m === null) return;
      // Lines still in the pipe after the kill were printed after their sync resolved: they count.
      flushed = Math.max(flushed, Number(m[1]));
      if (++lines === FLUSHES_BEFORE_KILL) child.kill('SIGKILL');
    });
    child.on('error', reject);
    child.on('close', (_code, signal) => resolve({ flushed, lines, signal, stderr }));
  });
}

test('a child appending in a loop killed with SIGKILL: every flushed batch survives, the tail is cut at the last valid batch, appends continue', async (t) => {
  const dir = tempDir(t);
  const run = await runAndKill(dir);
  assert.equal(run.signal, 'SIGKILL', `the child ended by itself: ${run.stderr}`);
  assert.ok(run.lines >= FLUSHES_BEFORE_KILL);
  assert.ok(run.flushed > 0);

  const log = PartitionLog.open(dir, resolveTopicConfig({ segmentBytes: SEGMENT_BYTES, indexIntervalBytes: 1024 }), {
    logger: { info() {}, warn() {} },
  });
  t.after(() => log.close());
  assert.ok(log.segmentCount >= 3, `expected several rolls, got ${log.segmentCount} segment(s)`);
  assert.notEqual(log.recovery, null);
  assert.ok(log.logEndOffset >= run.flushed, `log end ${log.logEndOffset} below the flushed ${run.flushed}`);
  // The recovered last segment holds only valid batches, ending exactly where recovery said.
  const last = log.segmentInfos().at(-1)!;
  assert.equal(log.recovery!.nextOffset, last.nextOffset);
  assert.equal(log.recovery!.validBytes, last.size);

  const records = recordsOf(log.read(0, 64 * 1024 * 1024)); // decoding checks every CRC
  assert.equal(records.length, log.logEndOffset);
  records.forEach((r, i) => {
    assert.equal(r.offset, i);
    assert.equal(numberOf(r.value), i);
  });

  const end = log.logEndOffset;
  const r = log.append(makeBatch({ first: end, count: 5 }));
  assert.equal(r.baseOffset, end);
  await log.sync();
  assert.equal(log.flushedOffset, end + 5);
  assert.equal(recordsOf(log.read(end, 1024)).at(-1)!.offset, end + 4);
});

test('dumpLog of a killed segment reads its batches and stops at the zeroed preallocation', async (t) => {
  const dir = tempDir(t);
  const run = await runAndKill(dir);
  assert.equal(run.signal, 'SIGKILL', run.stderr);
  const dump = dumpLog(join(dir, '00000000000000000000.log'));
  assert.ok(dump.batches.length > 0);
  assert.equal(dump.batches[0]!.baseOffset, 0);
  for (let i = 1; i < dump.batches.length; i++) {
    assert.equal(dump.batches[i]!.baseOffset, dump.batches[i - 1]!.lastOffset + 1);
    assert.equal(dump.batches[i]!.position, dump.batches[i - 1]!.position + dump.batches[i - 1]!.size);
  }
});
