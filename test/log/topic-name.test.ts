import assert from 'node:assert/strict';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { RivuletError } from '../../src/errors.js';
import {
  isInternalTopic,
  parsePartitionDirName,
  partitionDir,
  topicNameProblem,
  validateTopicName,
} from '../../src/log/topic-name.js';

function rejects(name: unknown, reason: RegExp): void {
  assert.throws(
    () => validateTopicName(name),
    (err: unknown) => err instanceof RivuletError && err.code === 'INVALID_TOPIC_EXCEPTION' && reason.test(err.message),
  );
}

describe('topic names', () => {
  test('".." is rejected', () => rejects('..', /cannot be '\.\.'/));
  test('"." is rejected', () => rejects('.', /cannot be '\.'/));
  test('a name with a slash ("a/b") is rejected', () => rejects('a/b', /may only hold/));
  test('a name with a backslash or a NUL is rejected', () => {
    rejects('a\\b', /may only hold/);
    rejects('a\0b', /may only hold/);
  });
  test('the empty name is rejected', () => rejects('', /must not be empty/));
  test('250 characters are rejected, 249 accepted', () => {
    rejects('a'.repeat(250), /at most 249/);
    validateTopicName('a'.repeat(249));
  });
  test('non-ASCII letters and spaces are rejected', () => {
    rejects('café', /may only hold/);
    rejects('a b', /may only hold/);
  });
  test('a non-string is rejected', () => rejects(42, /must be a string/));
  test('legal names are accepted', () => {
    for (const name of ['orders', 'a', 'A.b_c-9', '...', '.hidden', '__consumer_offsets', 'x'.repeat(249)]) {
      assert.equal(topicNameProblem(name), null, name);
      validateTopicName(name);
    }
  });
  test('internal topics start with two underscores', () => {
    assert.equal(isInternalTopic('__consumer_offsets'), true);
    assert.equal(isInternalTopic('_one'), false);
  });
});

describe('partition directories', () => {
  test('map to <dataDir>/<topic>-<partition>', () => {
    assert.equal(partitionDir('/data', 'orders', 3), resolve('/data/orders-3'));
  });
  test('never leave the data directory, whatever the name', () => {
    for (const name of ['..', '../x', 'a/../../b', '/etc/passwd', '.']) {
      assert.throws(() => partitionDir('/data', name, 0), { code: 'INVALID_TOPIC_EXCEPTION' });
    }
  });
  test('a dotted legal name stays inside', () => {
    assert.equal(partitionDir('/data', '...', 0), join(resolve('/data'), '...-0'));
  });
  test('a negative partition index is refused', () => {
    assert.throws(() => partitionDir('/data', 'orders', -1), { code: 'INVALID_PARTITIONS' });
  });
  test('directory names parse back into topic and partition', () => {
    assert.deepEqual(parsePartitionDirName('my-topic-12'), { topic: 'my-topic', partition: 12 });
    assert.equal(parsePartitionDirName('topics.json'), null);
    assert.equal(parsePartitionDirName('orders-0.1700000000000-delete'), null);
  });
});
