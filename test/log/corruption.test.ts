import assert from 'node:assert/strict';
import { appendFileSync, closeSync, openSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { dumpLog } from '../../src/log/dump-log.js';
import { resolveTopicConfig, type TopicConfig } from '../../src/log/log-config.js';
import { PartitionLog } from '../../src/log/partition-log.js';
import { makeBatch, numberOf, recordsOf } from '../helpers/batches.js';
import { tempDir } from '../helpers/tmp-dir.js';

const quiet = { info() {}, warn() {} };
const FIRST_LOG = '00000000000000000000.log';

function config(overrides: Partial<TopicConfig> = {}): TopicConfig {
  return resolveTopicConfig({ segmentBytes: 64 * 1024, segmentIndexBytes: 16 * 1024, ...overrides });
}

/** Writes `batches` batches of 5 records, closes cleanly, returns the dump of the first segment. */
async function writeClosed(dir: string, batches: number, overrides: Partial<TopicConfig> = {}) {
  const log = PartitionLog.open(dir, config(overrides), { logger: quiet });
  for (let i = 0; i < batches; i++) log.append(makeBatch({ first: log.logEndOffset, count: 5, pad: 50 }));
  await log.sync();
  await log.close();
  return dumpLog(join(dir, FIRST_LOG));
}

function flipByte(path: string, position: number, mask = 0x5a): void {
  const fd = openSync(path, 'r+');
  try {
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, position);
    b[0]! ^= mask;
    writeSync(fd, b, 0, 1, position);
  } finally {
    closeSync(fd);
  }
}

describe('recovery and dumpLog find damage', () => {
  test('recover a flipped byte in the last batch: that batch is cut, dumpLog says where and why', async (t) => {
    const dir = tempDir(t);
    const clean = await writeClosed(dir, 10);
    assert.equal(clean.invalid, undefined);
    assert.equal(clean.batches.length, 10);
    const last = clean.batches.at(-1)!;
    flipByte(join(dir, FIRST_LOG), last.position + last.size - 3);

    const dump = dumpLog(join(dir, FIRST_LOG));
    assert.equal(dump.batches.length, 9);
    assert.equal(dump.invalid?.position, last.position);
    assert.match(dump.invalid!.reason, /CRC mismatch/);
    assert.match(dump.text, new RegExp(`invalid batch at position ${last.position}: CRC mismatch`));

    const log = PartitionLog.open(dir, config(), { logger: quiet });
    t.after(() => log.close());
    // The cut is counted up to the last non-zero byte: zeros cannot be told from preallocation.
    assert.ok(log.recovery!.truncatedBytes > 0 && log.recovery!.truncatedBytes <= last.size);
    assert.equal(log.recovery!.validBytes, last.position);
    assert.notEqual(log.recovery!.reason, null);
    assert.equal(log.logEndOffset, last.baseOffset);
    assert.equal(recordsOf(log.read(0, 1 << 20)).length, 45);
    assert.equal(log.append(makeBatch({ first: 45, count: 5 })).baseOffset, 45);
    assert.deepEqual(
      recordsOf(log.read(40, 1 << 20)).map((r) => numberOf(r.value)),
      [40, 41, 42, 43, 44, 45, 46, 47, 48, 49],
    );
  });

  test('recover a flipped byte in a middle batch (no index entry after it): everything from it on is cut', async (t) => {
    const dir = tempDir(t);
    const clean = await writeClosed(dir, 10, { indexIntervalBytes: 1024 * 1024 });
    const middle = clean.batches[4]!;
    flipByte(join(dir, FIRST_LOG), middle.position + 30); // inside the CRC'd header fields
    const dump = dumpLog(join(dir, FIRST_LOG));
    assert.equal(dump.invalid?.position, middle.position);
    const log = PartitionLog.open(dir, config({ indexIntervalBytes: 1024 * 1024 }), { logger: quiet });
    t.after(() => log.close());
    assert.equal(log.logEndOffset, middle.baseOffset);
    assert.equal(log.recovery!.validBytes, middle.position);
  });

  test('recover a torn write: half a batch after the last one is cut', async (t) => {
    const dir = tempDir(t);
    const clean = await writeClosed(dir, 3);
    const half = Buffer.from(makeBatch({ first: 15, count: 5, pad: 50 }));
    appendFileSync(join(dir, FIRST_LOG), half.subarray(0, Math.floor(half.length / 2)));
    const dump = dumpLog(join(dir, FIRST_LOG));
    assert.equal(dump.invalid?.position, clean.validBytes);
    assert.match(dump.invalid!.reason, /truncated/);
    const log = PartitionLog.open(dir, config(), { logger: quiet });
    t.after(() => log.close());
    assert.ok(log.recovery!.truncatedBytes > 0 && log.recovery!.truncatedBytes <= Math.floor(half.length / 2));
    assert.equal(log.recovery!.validBytes, clean.validBytes);
    assert.equal(log.logEndOffset, 15);
  });

  test('dumpLog reports a bad length and a bad magic', async (t) => {
    const dir = tempDir(t);
    const clean = await writeClosed(dir, 4);
    const path = join(dir, FIRST_LOG);
    const third = clean.batches[2]!;
    flipByte(path, third.position + 16); // magic
    assert.match(dumpLog(path).invalid!.reason, /bad magic/);
    flipByte(path, third.position + 16);
    flipByte(path, third.position + 8, 0x80); // the sign bit of batchLength
    const bad = dumpLog(path);
    assert.equal(bad.invalid?.position, third.position);
    assert.match(bad.invalid!.reason, /bad length/);
    assert.equal(bad.batches.length, 2);
  });

  test('dumpLog finds a flipped byte in a sealed segment, which recovery does not scan', async (t) => {
    const dir = tempDir(t);
    const log = PartitionLog.open(dir, config(), { logger: quiet });
    while (log.segmentCount < 3) log.append(makeBatch({ first: log.logEndOffset, count: 5, pad: 300 }));
    await log.close();
    const dump = dumpLog(join(dir, FIRST_LOG));
    const victim = dump.batches[7]!;
    flipByte(join(dir, FIRST_LOG), victim.position + victim.size - 1);
    const after = dumpLog(join(dir, FIRST_LOG));
    assert.equal(after.invalid?.position, victim.position);
    assert.equal(after.batches.length, 7);
  });

  test('dumpLog of an open active segment stops at the preallocated zeros: end of data, not an error', async (t) => {
    const dir = tempDir(t);
    const log = PartitionLog.open(dir, config(), { logger: quiet });
    t.after(() => log.close());
    for (let i = 0; i < 5; i++) log.append(makeBatch({ first: log.logEndOffset, count: 2 }));
    await log.sync();
    const dump = dumpLog(join(dir, FIRST_LOG));
    assert.equal(dump.invalid, undefined);
    assert.equal(dump.batches.length, 5);
    assert.deepEqual(
      dump.batches.map((b) => [b.baseOffset, b.lastOffset, b.count, b.crcOk]),
      [0, 2, 4, 6, 8].map((o) => [o, o + 1, 2, true]),
    );
    assert.equal(dump.validBytes, log.size);
    assert.match(dump.text, /baseOffset: 0 lastOffset: 1 count: 2 position: 0 /);
    if (dump.fileSize > dump.validBytes) assert.match(dump.text, /end of data/);
  });
});
