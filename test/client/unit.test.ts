import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { headersObject, messageFields, readMessage } from '../../src/client/bytes.js';
import { brokerUrl } from '../../src/client/cluster.js';
import { murmur2String, StickyPartitioner } from '../../src/client/partitioner.js';
import { nextSequence, restamp } from '../../src/client/producer-identity.js';
import { backoffMs, DEFAULT_RETRY, retryPolicy, withRetry } from '../../src/client/retry.js';
import { RivuletError } from '../../src/errors.js';
import { murmur2 } from '../../src/protocol/murmur2.js';
import { decodeRecordBatches, encodeRecordBatch } from '../../src/protocol/record-batch.js';

describe('client units', () => {
  it('broker addresses become ws URLs ending in /v1', () => {
    assert.equal(brokerUrl('ws://127.0.0.1:9080'), 'ws://127.0.0.1:9080/v1');
    assert.equal(brokerUrl('127.0.0.1:9080'), 'ws://127.0.0.1:9080/v1');
    assert.equal(brokerUrl('wss://example.com:443/'), 'wss://example.com:443/v1');
    assert.equal(brokerUrl('ws://h:1/v1'), 'ws://h:1/v1');
    assert.throws(() => brokerUrl('http://h:1'), { code: 'INVALID_ARGUMENT' });
  });

  it('murmur2 of a string key equals murmur2 of its UTF-8 bytes (ASCII fast path and not)', () => {
    const utf8 = new TextEncoder();
    for (const s of [
      '',
      'a',
      'ab',
      'abc',
      'abcd',
      'foobar',
      'key-12345',
      'héllo',
      '日本語キー',
      '🙂x',
      'x'.repeat(101),
    ]) {
      assert.equal(murmur2String(s), murmur2(utf8.encode(s)), JSON.stringify(s));
    }
  });

  it('the sticky partitioner keeps a partition until its batch completes, then moves', () => {
    const p = new StickyPartitioner();
    const first = p.partition('t', 8, null);
    for (let i = 0; i < 10; i++) assert.equal(p.partition('t', 8, null), first);
    p.onBatchComplete('t', (first + 1) % 8); // another partition's batch: no move
    assert.equal(p.partition('t', 8, null), first);
    p.onBatchComplete('t', first);
    const second = p.partition('t', 8, null);
    assert.notEqual(second, first);
    assert.ok(second >= 0 && second < 8);
    // A single partition never moves; keys go by murmur2 whatever the sticky partition.
    assert.equal(p.partition('one', 1, null), 0);
    assert.equal(p.partition('t', 7, 'foobar'), (-790332482 & 0x7fffffff) % 7);
  });

  it('backoff grows exponentially within ±factor and is capped', () => {
    const policy = retryPolicy({ initialRetryTimeMs: 100, maxRetryTimeMs: 1_000, factor: 0.2 });
    for (let attempt = 0; attempt < 8; attempt++) {
      const base = Math.min(1_000, 100 * 2 ** attempt);
      for (let n = 0; n < 20; n++) {
        const ms = backoffMs(policy, attempt);
        assert.ok(
          ms >= Math.floor(base * 0.8) && ms <= Math.min(1_000, Math.ceil(base * 1.2)),
          `attempt ${attempt}: ${ms}`,
        );
      }
    }
    assert.deepEqual(retryPolicy(), DEFAULT_RETRY);
    assert.throws(() => retryPolicy({ retries: -1 }), { code: 'INVALID_ARGUMENT' });
  });

  it('withRetry retries only retriable errors, and at most `retries` times', async () => {
    const policy = retryPolicy({ retries: 3, initialRetryTimeMs: 1, maxRetryTimeMs: 2 });
    let calls = 0;
    await assert.rejects(
      withRetry(policy, async () => {
        calls++;
        throw new RivuletError('CONNECTION_ERROR', 'down');
      }),
      { code: 'CONNECTION_ERROR' },
    );
    assert.equal(calls, 4);
    calls = 0;
    await assert.rejects(
      withRetry(policy, async () => {
        calls++;
        throw new RivuletError('INVALID_CONFIG', 'no');
      }),
      { code: 'INVALID_CONFIG' },
    );
    assert.equal(calls, 1);
    calls = 0;
    const v = await withRetry(policy, async ({ attempt }) => {
      calls++;
      if (attempt < 2) throw new RivuletError('TIMEOUT', 'slow');
      return 'ok';
    });
    assert.equal(v, 'ok');
    assert.equal(calls, 3);
  });

  it('re-stamping a batch with a new epoch and sequence keeps it valid', () => {
    const batch = encodeRecordBatch([{ value: 'a' }, { value: 'b' }], {
      producerId: 7,
      producerEpoch: 0,
      baseSequence: 40,
    });
    restamp(batch, 7, 1, 0);
    const [decoded] = decodeRecordBatches(batch, { verifyCrc: true });
    assert.equal(decoded!.producerId, 7);
    assert.equal(decoded!.producerEpoch, 1);
    assert.equal(decoded!.baseSequence, 0);
    assert.deepEqual(
      decoded!.records.map((r) => new TextDecoder().decode(r.value!)),
      ['a', 'b'],
    );
    assert.equal(nextSequence(0x7fffffff - 1, 3), 1, 'sequences wrap to 0 after 2^31 − 1');
    assert.equal(nextSequence(10, 5), 15);
  });

  it('messages are checked with the path of the bad field', () => {
    const r = messageFields();
    readMessage({ key: 'k', value: 'vv', headers: { a: 'x' }, timestamp: '1700000000000' }, 5, 'messages', 0, r);
    assert.equal(r.timestamp, 1_700_000_000_000);
    assert.equal(r.key, 'k');
    assert.ok(r.bytes >= 3);
    readMessage({ value: null }, 5, 'messages', 0, r);
    assert.equal(r.timestamp, 5);
    assert.equal(r.key, null, 'the fields of the message before are not left behind');
    assert.equal(r.headers, undefined);
    assert.throws(() => readMessage({ value: 1 as unknown as string }, 0, 'messages', 2, r), {
      path: 'messages/2/value',
    });
    assert.throws(() => readMessage({ key: {} as string, value: 'v' }, 0, 'messages', 0, r), {
      path: 'messages/0/key',
    });
    assert.throws(() => readMessage({ value: 'v', timestamp: 'soon' }, 0, 'messages', 0, r), {
      path: 'messages/0/timestamp',
    });
    readMessage({ value: 'v', headers: { a: ['1', '2'], b: 'x' } }, 0, 'm', 0, r);
    assert.deepEqual(
      (r.headers as unknown as { key: string }[]).map((h) => h.key),
      ['a', 'a', 'b'],
    );
  });

  it('fetched headers become an object of Buffers; repeated keys an array; __proto__ is a plain key', () => {
    const enc = new TextEncoder();
    const h = headersObject([
      { key: 'a', value: enc.encode('1') },
      { key: 'n', value: null },
      { key: 'a', value: enc.encode('2') },
      { key: '__proto__', value: enc.encode('p') },
    ]);
    assert.ok(Buffer.isBuffer(h.a![0]));
    assert.deepEqual((h.a as Buffer[]).map(String), ['1', '2']);
    assert.equal(h.n, null);
    assert.equal(Object.getPrototypeOf(h), Object.prototype);
    assert.equal(String(Object.getOwnPropertyDescriptor(h, '__proto__')!.value), 'p');
  });
});
