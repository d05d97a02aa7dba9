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
import { ApiKeys } from '../../src/protocol/api.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { type Harness, startBroker } from './helpers/fixture.js';

const MiB = 1 << 20;
const value = (n: number) => Buffer.alloc(8192, `record ${n} `);

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

  /** Produces `requests` batches of 120 records of 8 KiB (just under 1 MiB) with acks=all from offset `first`. */
  async function produce(topic: string, first: number, requests: number): Promise<void> {
    for (let i = 0; i < requests; i++) {
      const records = Array.from({ length: 120 }, (_, j) => ({ value: value(first + i * 120 + j) }));
      const r = await h.client.produceOne(topic, 0, encodeRecordBatch(records), -1);
      assert.equal(r.errorCode, 0);
      assert.equal(r.baseOffset, first + i * 120);
    }
  }

  /** Consumes the whole partition, checks every record, and returns the bytes read from disk meanwhile. */
  async function consumeAll(topic: string, count: number): Promise<number> {
    const before = diskReadBytes();
    const records = await h.client.readAll(topic, 0);
    const fromDisk = diskReadBytes() - before;
    assert.equal(records.length, count);
    for (const [n, rec] of records.entries()) {
      assert.equal(rec.offset, n);
      assert.ok(Buffer.from(rec.value!).equals(value(n)), `record ${n} reads back as written`);
    }
    return fromDisk;
  }

  it('drops flushed data behind the writer from the page cache; consumers read it back from disk', async () => {
    const created = await h.client.createTopic('tail', 1, [{ name: 'segment.bytes', value: String(128 * MiB) }]);
    assert.equal(created.errorCode, 0, JSON.stringify(created.body));
    await produce('tail', 0, 48);
    const fromDisk = await consumeAll('tail', 48 * 120);
    assert.ok(fromDisk >= 8 * MiB, `only ${fromDisk} bytes were read from disk`);
  });

  it('AlterConfigs of cache.tail.bytes applies to the segment being written', async () => {
    const created = await h.client.createTopic('later', 1, [
      { name: 'segment.bytes', value: String(128 * MiB) },
      { name: 'cache.tail.bytes', value: '-1' },
    ]);
    assert.equal(created.errorCode, 0, JSON.stringify(created.body));
    await produce('later', 0, 8);
    const alter = await h.client.request(ApiKeys.AlterConfigs, {
      resources: [{ resourceType: 2, resourceName: 'later', configs: [{ name: 'cache.tail.bytes', value: '0' }] }],
    });
    assert.equal(alter.body.responses[0].errorCode, 0);
    await produce('later', 8 * 120, 40);
    const fromDisk = await consumeAll('later', 48 * 120);
    assert.ok(fromDisk >= 8 * MiB, `only ${fromDisk} bytes were read from disk`);
  });
});
