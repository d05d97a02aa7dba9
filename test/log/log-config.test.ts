import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RivuletError } from '../../src/errors.js';
import {
  configToStrings,
  DEFAULT_TOPIC_CONFIG,
  describeTopicConfig,
  parseConfigAlterations,
  parseTopicConfigs,
  resolveTopicConfig,
  TOPIC_CONFIG_NAMES,
  validateTopicConfig,
} from '../../src/log/log-config.js';

function invalidConfig(key: string) {
  return (err: unknown) =>
    err instanceof RivuletError &&
    err.code === 'INVALID_CONFIG' &&
    err.message.includes(key) &&
    err.details?.config === key;
}

describe('topic configs', () => {
  test("defaults are Kafka's (and cache.tail.bytes, Rivulet's own, leaves the page cache to the kernel, as Kafka does)", () => {
    assert.deepEqual(DEFAULT_TOPIC_CONFIG, {
      retentionMs: 604_800_000,
      retentionBytes: -1,
      segmentBytes: 1_073_741_824,
      segmentMs: 604_800_000,
      maxMessageBytes: 1_048_588,
      indexIntervalBytes: 4096,
      segmentIndexBytes: 10_485_760,
      cleanupPolicy: 'delete',
      messageTimestampType: 'CreateTime',
      cacheTailBytes: -1,
    });
  });

  test('wire strings parse, as an entry list or a record', () => {
    const expected = { retentionMs: 3_600_000, segmentBytes: 65_536, cleanupPolicy: 'compact' };
    assert.deepEqual(
      parseTopicConfigs([
        { name: 'retention.ms', value: '3600000' },
        { name: 'segment.bytes', value: '65536' },
        { name: 'cleanup.policy', value: 'compact' },
      ]),
      expected,
    );
    assert.deepEqual(
      parseTopicConfigs({ 'retention.ms': '3600000', 'segment.bytes': '65536', 'cleanup.policy': 'compact' }),
      expected,
    );
  });

  test('-1 disables retention.ms and retention.bytes', () => {
    assert.deepEqual(parseTopicConfigs({ 'retention.ms': '-1', 'retention.bytes': '-1' }), {
      retentionMs: -1,
      retentionBytes: -1,
    });
  });

  test('cache.tail.bytes takes a byte count, or -1 for the kernel to decide', () => {
    assert.deepEqual(parseTopicConfigs({ 'cache.tail.bytes': '33554432' }), { cacheTailBytes: 33554432 });
    assert.deepEqual(parseTopicConfigs({ 'cache.tail.bytes': '-1' }), { cacheTailBytes: -1 });
    assert.throws(() => parseTopicConfigs({ 'cache.tail.bytes': '-2' }), invalidConfig('cache.tail.bytes'));
  });

  test('"delete,compact" is the same policy as "compact,delete"', () => {
    assert.deepEqual(parseTopicConfigs({ 'cleanup.policy': 'delete, compact' }), { cleanupPolicy: 'compact,delete' });
  });

  test('an unknown key is INVALID_CONFIG naming it', () => {
    assert.throws(() => parseTopicConfigs({ 'retention.mss': '1' }), invalidConfig('retention.mss'));
  });

  test('a __proto__ key is an unknown config, not a prototype', () => {
    assert.throws(() => parseTopicConfigs(JSON.parse('{"__proto__": "1"}')), invalidConfig('__proto__'));
  });

  test('a non-integer, fractional or out-of-range value is INVALID_CONFIG naming the key', () => {
    assert.throws(() => parseTopicConfigs({ 'retention.ms': 'soon' }), invalidConfig('retention.ms'));
    assert.throws(() => parseTopicConfigs({ 'segment.bytes': '1.5' }), invalidConfig('segment.bytes'));
    assert.throws(() => parseTopicConfigs({ 'segment.bytes': '100' }), invalidConfig('segment.bytes'));
    assert.throws(() => parseTopicConfigs({ 'segment.bytes': '4294967296' }), invalidConfig('segment.bytes'));
    assert.throws(() => parseTopicConfigs({ 'retention.bytes': '-2' }), invalidConfig('retention.bytes'));
    assert.throws(() => parseTopicConfigs({ 'retention.ms': '99999999999999999999' }), invalidConfig('retention.ms'));
    assert.throws(() => parseTopicConfigs({ 'segment.ms': '0' }), invalidConfig('segment.ms'));
  });

  test('an enum outside its values is INVALID_CONFIG', () => {
    assert.throws(() => parseTopicConfigs({ 'cleanup.policy': 'shred' }), invalidConfig('cleanup.policy'));
    assert.throws(
      () => parseTopicConfigs({ 'message.timestamp.type': 'createtime' }),
      invalidConfig('message.timestamp.type'),
    );
  });

  test('a null value is refused at creation, means "back to default" in an alteration', () => {
    assert.throws(() => parseTopicConfigs([{ name: 'retention.ms', value: null }]), invalidConfig('retention.ms'));
    assert.deepEqual(
      parseConfigAlterations([
        { name: 'retention.ms', value: null },
        { name: 'segment.ms', value: '1000' },
      ]),
      { set: { segmentMs: 1000 }, reset: ['retentionMs'] },
    );
  });

  test('resolution order: override, then broker default, then Kafka default', () => {
    const c = resolveTopicConfig({ retentionMs: 1 }, { retentionMs: 2, segmentBytes: 4096 });
    assert.equal(c.retentionMs, 1);
    assert.equal(c.segmentBytes, 4096);
    assert.equal(c.maxMessageBytes, 1_048_588);
  });

  test('describe names every key with its source', () => {
    const d = describeTopicConfig({ retentionMs: 1000 }, { segmentBytes: 4096 });
    assert.deepEqual(
      d.map((e) => e.name),
      TOPIC_CONFIG_NAMES,
    );
    const by = Object.fromEntries(d.map((e) => [e.name, e]));
    assert.deepEqual(by['retention.ms'], {
      name: 'retention.ms',
      value: '1000',
      isDefault: false,
      source: 'DYNAMIC_TOPIC_CONFIG',
    });
    assert.deepEqual(by['segment.bytes'], {
      name: 'segment.bytes',
      value: '4096',
      isDefault: false,
      source: 'STATIC_BROKER_CONFIG',
    });
    assert.deepEqual(by['cleanup.policy'], {
      name: 'cleanup.policy',
      value: 'delete',
      isDefault: true,
      source: 'DEFAULT_CONFIG',
    });
  });

  test('overrides round-trip through their wire strings', () => {
    const overrides = { retentionMs: 5, messageTimestampType: 'LogAppendTime' as const };
    assert.deepEqual(parseTopicConfigs(configToStrings(overrides)), overrides);
  });

  test('typed defaults are validated with the wire rules', () => {
    assert.throws(() => validateTopicConfig({ segmentBytes: 10 }), invalidConfig('segment.bytes'));
    assert.deepEqual(validateTopicConfig({ segmentBytes: 65536 }), { segmentBytes: 65536 });
  });
});
