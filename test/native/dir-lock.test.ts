/** The addon's DirLock: an exclusive flock on `<dir>/.lock`, refused at once when already held. */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { StorageError } from '../../src/log/storage-error.js';
import { tempDir } from '../helpers/tmp-dir.js';
import { native } from './helpers.js';

test('DirLock creates <dir>/.lock; a second lock on the same dir in this process is ELOCKED', (t) => {
  const dir = tempDir(t);
  const first = new native.DirLock(dir);
  t.after(() => first.release());
  assert.equal(first.path, join(dir, '.lock'));
  assert.equal(first.held, true);
  assert.ok(existsSync(first.path));
  assert.throws(
    () => new native.DirLock(dir),
    (err: unknown) => err instanceof StorageError && err.code === 'ELOCKED' && err.path === join(dir, '.lock'),
  );
});

test('DirLock.release lets the next lock in, is idempotent, and leaves the .lock file', (t) => {
  const dir = tempDir(t);
  const first = new native.DirLock(dir);
  first.release();
  first.release();
  assert.equal(first.held, false);
  assert.ok(existsSync(join(dir, '.lock')), 'the file stays: it locks nothing once released');
  const second = new native.DirLock(dir);
  assert.equal(second.held, true);
  second.release();
});

test('DirLock on a missing directory is EIO with the lock path; misuse is a TypeError or RangeError', (t) => {
  const missing = join(tempDir(t), 'no', 'such');
  assert.throws(
    () => new native.DirLock(missing),
    (err: unknown) => err instanceof StorageError && err.code === 'EIO' && err.path === join(missing, '.lock'),
  );
  assert.throws(() => new native.DirLock(42 as unknown as string), TypeError);
  assert.throws(() => new native.DirLock(''), RangeError);
});
