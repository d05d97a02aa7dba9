import assert from 'node:assert/strict';
import { test } from 'node:test';
import { GroupCommit } from '../../src/log/group-commit.js';

/** A flush that takes until the test releases it. */
function controlledFlush() {
  const started: number[] = [];
  const releases: Array<(err?: Error) => void> = [];
  const flush = (target: number) =>
    new Promise<void>((resolve, reject) => {
      started.push(target);
      releases.push((err) => (err ? reject(err) : resolve()));
    });
  return { started, releases, flush };
}

test('100 concurrent requests share two flushes: the running one and one queued', async () => {
  const c = controlledFlush();
  let end = 0;
  const gc = new GroupCommit(c.flush, () => end);
  end = 10;
  const first = gc.request();
  end = 20;
  const rest = Array.from({ length: 99 }, () => gc.request());
  assert.equal(gc.flushCount, 1);
  c.releases[0]!();
  await first;
  await new Promise((r) => setImmediate(r));
  assert.equal(gc.flushCount, 2);
  assert.deepEqual(c.started, [10, 20]);
  c.releases[1]!();
  await Promise.all(rest);
  assert.equal(gc.flushCount, 2);
});

test('a caller already covered by the running flush shares it instead of queueing', async () => {
  const c = controlledFlush();
  const gc = new GroupCommit(c.flush, () => 5);
  const a = gc.request();
  const b = gc.request(5);
  assert.equal(a, b);
  c.releases[0]!();
  await Promise.all([a, b]);
  assert.equal(gc.flushCount, 1);
});

test('a failed flush rejects its own callers only; the queued flush still runs', async () => {
  const c = controlledFlush();
  let end = 1;
  const gc = new GroupCommit(c.flush, () => end);
  const a = gc.request();
  end = 2;
  const b = gc.request();
  c.releases[0]!(new Error('EIO'));
  await assert.rejects(a, /EIO/);
  await new Promise((r) => setImmediate(r));
  c.releases[1]!();
  await b;
  assert.equal(gc.flushCount, 2);
});

test('idle waits for the running and the queued flush', async () => {
  const c = controlledFlush();
  let end = 1;
  const gc = new GroupCommit(c.flush, () => end);
  void gc.request();
  end = 2;
  void gc.request();
  let idle = false;
  const waiting = gc.idle().then(() => {
    idle = true;
  });
  c.releases[0]!();
  await new Promise((r) => setImmediate(r));
  assert.equal(idle, false);
  c.releases[1]!();
  await waiting;
  assert.equal(idle, true);
});

test('after supersede() a caller covered by the running flush target still waits for the next flush', async () => {
  const c = controlledFlush();
  const gc = new GroupCommit(c.flush, () => 5);
  const a = gc.request();
  gc.supersede();
  const b = gc.request(3);
  assert.notEqual(a, b);
  c.releases[0]!();
  await a;
  await new Promise((r) => setImmediate(r));
  assert.equal(gc.flushCount, 2);
  c.releases[1]!();
  await b;
});
