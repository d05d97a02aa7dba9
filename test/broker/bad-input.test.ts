import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { ApiKeys } from '../../src/protocol/api.js';
import { ErrorCodes } from '../../src/protocol/error-codes.js';
import { encodeRequest } from '../../src/protocol/frame.js';
import { type Harness, startBroker } from './helpers/fixture.js';
import { batchOf } from './helpers/raw-client.js';

/** The msgpack header of a request, framed, from raw msgpack bytes. */
function framed(msgpack: number[], payload: number[] = []): Uint8Array {
  const out = new Uint8Array(4 + msgpack.length + payload.length);
  new DataView(out.buffer).setUint32(0, msgpack.length);
  out.set(msgpack, 4);
  out.set(payload, 4 + msgpack.length);
  return out;
}

describe('bad input', () => {
  let h: Harness;
  before(async () => {
    h = await startBroker({ maxFrameBytes: 64 * 1024, maxMessageBytes: 32 * 1024 });
    await h.client.createTopic('good');
    await h.client.produceOne('good', 0, batchOf(['kept']), -1);
  });
  after(() => h.stop());

  // After every bad input, the broker still serves another client.
  afterEach(async () => {
    const other = await h.connect();
    const r = await other.fetchRecords('good', 0, 0);
    assert.ok(r.length >= 1);
    await other.close();
  });

  it('malformed msgpack → INVALID_REQUEST with correlation id -1, and the connection stays usable', async () => {
    const c = await h.connect();
    c.sendRaw(framed([0xc1, 0xc1, 0xc1]));
    const r = await c.nextUnmatched();
    assert.equal(r.correlationId, -1);
    assert.equal(r.errorCode, ErrorCodes.INVALID_REQUEST);
    assert.match(r.body.errorMessage, /msgpack/);
    c.sendRaw(new Uint8Array([0, 0])); // shorter than a header
    assert.equal((await c.nextUnmatched()).errorCode, ErrorCodes.INVALID_REQUEST);
    c.sendRaw(framed([0x81, 0xa1, 0x61, 0x01])); // {a: 1}: not [apiKey, version, id, body]
    assert.equal((await c.nextUnmatched()).errorCode, ErrorCodes.INVALID_REQUEST);
    c.sendRaw(framed([0x94, 0x03, 0x00, 0x07, 0xd4, 0x01, 0x00])); // an extension type in the body
    const ext = await c.nextUnmatched();
    assert.equal(ext.errorCode, ErrorCodes.INVALID_REQUEST);
    assert.equal((await c.request(ApiKeys.Metadata, { topics: null })).errorCode, 0);
  });

  it('wrong shapes and types → INVALID_REQUEST naming the path', async () => {
    const c = await h.connect();
    const acks = await c.request(ApiKeys.Produce, { acks: 'all', topics: [] });
    assert.equal(acks.errorCode, ErrorCodes.INVALID_REQUEST);
    assert.equal(acks.body.path, 'acks');
    const deep = await c.request(ApiKeys.Fetch, {
      topics: [{ name: 'good', partitions: [{ index: 'zero', fetchOffset: 0 }] }],
    });
    assert.equal(deep.errorCode, ErrorCodes.INVALID_REQUEST);
    assert.equal(deep.body.path, 'topics/0/partitions/0/index');
    const notMap = await c.request(ApiKeys.Metadata, [1, 2, 3]);
    assert.equal(notMap.errorCode, ErrorCodes.INVALID_REQUEST);
    const sizes = await c.request(
      ApiKeys.Produce,
      { acks: 1, topics: [{ name: 'good', partitions: [{ index: 0, bytes: 500 }] }] },
      { payload: [batchOf(['x'])] },
    );
    assert.equal(sizes.errorCode, ErrorCodes.INVALID_REQUEST);
    assert.match(sizes.body.errorMessage, /payload/);
    const negative = await c.request(ApiKeys.Produce, {
      acks: 1,
      topics: [{ name: 'good', partitions: [{ index: 0, bytes: -1 }] }],
    });
    assert.equal(negative.body.path, 'topics/0/partitions/0/bytes');
  });

  it('unknown api and unknown version → UNSUPPORTED_VERSION, never a dropped connection', async () => {
    const c = await h.connect();
    const api = await c.request(999, {});
    assert.equal(api.errorCode, ErrorCodes.UNSUPPORTED_VERSION);
    const version = await c.request(ApiKeys.Metadata, { topics: null }, { version: 7 });
    assert.equal(version.errorCode, ErrorCodes.UNSUPPORTED_VERSION);
    assert.deepEqual(version.body.details, { apiKey: ApiKeys.Metadata, minVersion: 0, maxVersion: 0 });
    assert.equal((await c.request(ApiKeys.ApiVersions, {})).errorCode, 0);
  });

  it('a CRC mismatch → CORRUPT_MESSAGE and nothing appended', async () => {
    await h.client.createTopic('crc');
    const good = batchOf(['one']);
    const bad = batchOf(['two', 'three']);
    bad[bad.length - 2]! ^= 0xff;
    // An acks=all answer flushes the partition: from then on its appends are checked where they
    // arrive and written with pwritev (native/core/segment.cc, WritesByCopy), the path under test.
    const flushed = await h.client.produce('crc', 0, [batchOf(['zero'])], -1);
    assert.equal(flushed.body.topics[0].partitions[0].errorCode, ErrorCodes.NONE);
    const before = await h.client.logEndOffset('crc', 0);
    assert.equal(before, 1);
    const r = await h.client.request(
      ApiKeys.Produce,
      { acks: -1, topics: [{ name: 'crc', partitions: [{ index: 0, bytes: good.length + bad.length }] }] },
      { payload: [good, bad] },
    );
    assert.equal(r.body.topics[0].partitions[0].errorCode, ErrorCodes.CORRUPT_MESSAGE);
    assert.equal(await h.client.logEndOffset('crc', 0), before, 'not even the good first batch');
    const truncated = await h.client.produce('crc', 0, [good.subarray(0, good.length - 5)], 1);
    assert.equal(truncated.body.topics[0].partitions[0].errorCode, ErrorCodes.CORRUPT_MESSAGE);
    const magic = batchOf(['m']);
    magic[16] = 1;
    assert.equal(
      (await h.client.produce('crc', 0, [magic], 1)).body.topics[0].partitions[0].errorCode,
      ErrorCodes.CORRUPT_MESSAGE,
    );
    assert.equal(await h.client.logEndOffset('crc', 0), before);
  });

  it('a batch over max.message.bytes → MESSAGE_TOO_LARGE', async () => {
    await h.client.createTopic('small-messages', 1, [{ name: 'max.message.bytes', value: '1024' }]);
    const r = await h.client.produceOne('small-messages', 0, batchOf(['x'.repeat(2_000)]), 1);
    assert.equal(r.errorCode, ErrorCodes.MESSAGE_TOO_LARGE);
    assert.equal(await h.client.logEndOffset('small-messages', 0), 0);
    assert.equal((await h.client.produceOne('small-messages', 0, batchOf(['fits']), 1)).errorCode, 0);
  });

  it('unknown topic or partition → UNKNOWN_TOPIC_OR_PARTITION', async () => {
    const p = await h.client.produceOne('good', 5, batchOf(['x']), 1);
    assert.equal(p.errorCode, ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION);
    const f = await h.client.fetch('never-created', 0, 0);
    assert.equal(f.body.topics[0].partitions[0].errorCode, ErrorCodes.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('an illegal topic name → INVALID_TOPIC_EXCEPTION', async () => {
    for (const name of ['no/slash', '..', '', 'x'.repeat(250), 'spa ce']) {
      const p = await h.client.produceOne(name, 0, batchOf(['x']), 1);
      assert.equal(p.errorCode, ErrorCodes.INVALID_TOPIC_EXCEPTION, JSON.stringify(name));
      const c = await h.client.createTopic(name);
      assert.equal(c.body.topics[0].errorCode, ErrorCodes.INVALID_TOPIC_EXCEPTION);
    }
  });

  it('a fetch offset out of range → OFFSET_OUT_OF_RANGE with the range in details', async () => {
    for (const offset of [1_000, -5]) {
      const r = await h.client.fetch('good', 0, offset, { maxWaitMs: 1_000 });
      const p = r.body.topics[0].partitions[0];
      assert.equal(p.errorCode, ErrorCodes.OFFSET_OUT_OF_RANGE);
      assert.deepEqual(p.details, { logStartOffset: 0, logEndOffset: 1 });
    }
  });

  it('a text message → INVALID_REQUEST, then the connection is closed (1003)', async () => {
    const c = await h.connect();
    c.sendRaw('hello');
    const r = await c.nextUnmatched();
    assert.equal(r.errorCode, ErrorCodes.INVALID_REQUEST);
    const closed = await c.closed;
    assert.equal(closed.code, 1003);
  });

  it('a frame over max-frame-bytes closes the connection with 1009 and a reason', async () => {
    const c = await h.connect();
    c.sendRaw(encodeRequest(ApiKeys.Produce, 0, 1, { acks: 1, topics: [] }, [new Uint8Array(100 * 1024)]));
    const closed = await c.closed;
    assert.equal(closed.code, 1009);
    assert.match(closed.reason, /max-frame-bytes 65536/);
    // Far over the limit: cut off before it is buffered.
    const d = await h.connect();
    d.sendRaw(new Uint8Array(1 << 20));
    const cut = await d.closed;
    assert.ok(cut.code === 1006 || cut.code === 1009, `closed with ${cut.code}`);
  });

  it('bad inputs from one client do not disturb another client mid-stream', async () => {
    const good = await h.connect();
    const bad = await h.connect();
    const inflight = good.fetch('good', 0, 1, { maxWaitMs: 2_000, minBytes: 1 });
    bad.sendRaw(framed([0xc1]));
    bad.sendRaw('text');
    await bad.closed;
    await h.client.produceOne('good', 0, batchOf(['more']), 1);
    const r = await inflight;
    assert.equal(r.body.topics[0].partitions[0].errorCode, 0);
    assert.equal(r.raws.length, 1);
  });
});
