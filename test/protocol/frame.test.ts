import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Packr } from 'msgpackr';
import { RivuletError } from '../../src/errors.js';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../src/protocol/frame.js';
import { guardMsgpack } from '../../src/protocol/msgpack-guard.js';
import { Produce } from '../../src/protocol/apis/index.js';

const packr = new Packr({ useRecords: false });

function frameOf(header: unknown, payload = new Uint8Array()): Uint8Array {
  const packed = packr.pack(header);
  const out = new Uint8Array(4 + packed.length + payload.length);
  new DataView(out.buffer).setUint32(0, packed.length);
  out.set(packed, 4);
  out.set(payload, 4 + packed.length);
  return out;
}

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof RivuletError, `expected a RivuletError, got ${String(err)}`);
    return err.code;
  }
  assert.fail('expected a throw');
}

describe('request frames', () => {
  it('round-trip a header and a payload split in chunks', () => {
    const a = Uint8Array.of(1, 2, 3);
    const b = Uint8Array.of(4, 5);
    const body = { acks: -1, topics: [{ name: 't', partitions: [{ index: 0, bytes: 5 }] }] };
    const req = decodeRequest(encodeRequest(0, 0, 42, body, [a, b]));
    assert.equal(req.apiKey, 0);
    assert.equal(req.apiVersion, 0);
    assert.equal(req.correlationId, 42);
    assert.deepEqual(req.body, body);
    assert.deepEqual([...req.payload], [1, 2, 3, 4, 5]);
  });

  it('keep offsets beyond 2^32 as exact numbers', () => {
    const big = 2 ** 53 - 1;
    const req = decodeRequest(encodeRequest(1, 0, 7, { fetchOffset: big, neg: -(2 ** 40) }));
    assert.deepEqual(req.body, { fetchOffset: big, neg: -(2 ** 40) });
  });

  it('refuse a frame shorter than its header length', () => {
    const frame = encodeRequest(3, 0, 1, {});
    new DataView(frame.buffer).setUint32(0, 10_000);
    assert.equal(code(() => decodeRequest(frame)), 'INVALID_REQUEST');
  });

  it('refuse a frame of fewer than five bytes', () => {
    assert.equal(code(() => decodeRequest(Uint8Array.of(0, 0, 0))), 'INVALID_REQUEST');
  });

  it('refuse a header that is not a four-element array, keeping the correlation id when readable', () => {
    assert.equal(code(() => decodeRequest(frameOf({ a: 1 }))), 'INVALID_REQUEST');
    try {
      decodeRequest(frameOf([0, 0, 99, {}].map((v, i) => (i === 0 ? 'x' : v))));
      assert.fail('expected a throw');
    } catch (err) {
      assert.equal((err as RivuletError).details?.correlationId, 99);
    }
  });

  it('refuse garbage that is not msgpack', () => {
    const garbage = Uint8Array.of(0, 0, 0, 3, 0xc1, 0xc1, 0xc1);
    assert.equal(code(() => decodeRequest(garbage)), 'INVALID_REQUEST');
  });

  it('never build a __proto__ from input', () => {
    const req = decodeRequest(frameOf([3, 0, 1, JSON.parse('{"__proto__": {"polluted": true}}')]));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(req.body), Object.prototype);
  });
});

describe('msgpack guard', () => {
  it('refuse nesting deeper than the limit', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 40; i++) deep = [deep];
    assert.equal(code(() => guardMsgpack(packr.pack(deep))), 'INVALID_REQUEST');
  });

  it('refuse an array whose count exceeds the bytes left', () => {
    // 0xdd: array32 claiming 2^31 items with three bytes of content.
    assert.equal(code(() => guardMsgpack(Uint8Array.of(0xdd, 0x80, 0, 0, 0, 1, 2, 3))), 'INVALID_REQUEST');
  });

  it('refuse extension types', () => {
    assert.equal(code(() => guardMsgpack(packr.pack(new Date(0)))), 'INVALID_REQUEST');
  });

  it('refuse a string over the limit', () => {
    const s = packr.pack('x'.repeat(2000));
    const limits = { maxDepth: 16, maxArray: 10, maxMap: 10, maxString: 1000, maxBinary: 1000 };
    assert.equal(code(() => guardMsgpack(s, 0, s.length, limits)), 'INVALID_REQUEST');
  });

  it('walk every ordinary type and end exactly after the value', () => {
    const value = [null, true, false, 1, -1, 300, -300, 70000, 2 ** 40, 1.5, 'str', new Uint8Array(5), { a: [1, { b: 2 }] }];
    const packed = packr.pack(value);
    assert.equal(guardMsgpack(packed), packed.length);
  });

  it('refuse a truncated value', () => {
    const packed = packr.pack({ key: 'value' });
    assert.equal(code(() => guardMsgpack(packed.subarray(0, packed.length - 2))), 'INVALID_REQUEST');
  });
});

describe('body schemas', () => {
  it('name the path of the first wrong field', () => {
    const body = { acks: 1, topics: [{ name: 't', partitions: [{ index: 0, bytes: 1 }, { index: 'x', bytes: 1 }] }] };
    try {
      Produce.request.check(body, '');
      assert.fail('expected a throw');
    } catch (err) {
      assert.equal((err as RivuletError).code, 'INVALID_REQUEST');
      assert.equal((err as RivuletError).path, 'topics/0/partitions/1/index');
    }
  });

  it('refuse acks outside 0, 1, -1 and fill defaults', () => {
    assert.equal(code(() => Produce.request.check({ acks: 2, topics: [] }, '')), 'INVALID_REQUEST');
    assert.equal(Produce.request.check({ acks: 0, topics: [] }, '').timeoutMs, 30_000);
  });
});

describe('response frames', () => {
  it('round-trip with a raw message count', () => {
    const res = decodeResponse(encodeResponse(5, 0, { ok: true }, 3));
    assert.deepEqual(res, { correlationId: 5, errorCode: 0, body: { ok: true }, rawCount: 3 });
  });

  it('refuse a response of the wrong shape with PROTOCOL_ERROR', () => {
    assert.equal(code(() => decodeResponse(packr.pack({ not: 'an array' }))), 'PROTOCOL_ERROR');
  });
});
