/**
 * `cache-tail-bytes` (the broker-wide default of `cache.tail.bytes`): a partition's data further
 * behind its newest than the tail leaves the page cache once flushed; a consumer reading it gets
 * it from disk (this process's `read_bytes` grows: the broker runs in it), every record intact.
 * The data dir is under the project directory: a tmpfs /tmp keeps pages the kernel cannot drop.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { type Harness, startBroker } from './helpers/fixture.js';

const MiB = 1 << 20;

function diskReadBytes(): number {
  return Number(/read_bytes: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);
}

describe('cache-tail-bytes', () => {
  let h: Harness;
  let dataDir: string;
  before(async () => {
    dataDir = mkdtempSync(join(process.cwd(), '.rivulet-test-'));
    h = await startBroker({ dataDir, cacheTailBytes: 0 });
  });
  after(async () => {
    await h.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('drops flushed data behind the writer from the page cache; consumers read it back from disk', async () => {
    const created = await h.client.createTopic('tail', 1, [{ name: 'segment.bytes', value: String(128 * MiB) }]);
    assert.equal(created.errorCode, 0, JSON.stringify(created.body));
    // 48 requests of one batch of just under 1 MiB each (120 records of 8 KiB, under max.message.bytes), acks=all.
    const value = (n: number) => Buffer.alloc(8192, `record ${n} `);
    for (let i = 0; i < 48; i++) {
      const records = Array.from({ length: 120 }, (_, j) => ({ value: value(i * 120 + j) }));
      const r = await h.client.produceOne('tail', 0, encodeRecordBatch(records), -1);
      assert.equal(r.errorCode, 0);
      assert.equal(r.baseOffset, i * 120);
    }
    const before = diskReadBytes();
    const records = await h.client.readAll('tail', 0);
    const fromDisk = diskReadBytes() - before;
    assert.equal(records.length, 48 * 120);
    for (const [n, rec] of records.entries()) {
      assert.equal(rec.offset, n);
      assert.ok(Buffer.from(rec.value!).equals(value(n)), `record ${n} reads back as written`);
    }
    assert.ok(fromDisk >= 8 * MiB, `only ${fromDisk} bytes were read from disk`);
  });
});
