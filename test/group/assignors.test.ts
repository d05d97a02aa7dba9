import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rangeAssign, roundRobinAssign, stickyAssign } from '../../src/group/assignors/index.js';
import { member, plain } from './helpers.js';

describe('range assignor', () => {
  test('one topic, partitions not divisible: the first members get one more', () => {
    const out = rangeAssign([member('c', ['t']), member('a', ['t']), member('b', ['t'])], { t: 7 });
    assert.deepEqual(plain(out), { a: { t: [0, 1, 2] }, b: { t: [3, 4] }, c: { t: [5, 6] } });
  });

  test('co-subscribed topics: the same partition numbers go to the same member', () => {
    const out = rangeAssign([member('m1', ['t1', 't2']), member('m2', ['t2', 't1'])], { t1: 3, t2: 3 });
    assert.deepEqual(plain(out), { m1: { t1: [0, 1], t2: [0, 1] }, m2: { t1: [2], t2: [2] } });
  });

  test('static members come first, ordered by instance id', () => {
    const out = rangeAssign([member('z', ['t'], {}, 'i1'), member('a', ['t']), member('y', ['t'], {}, 'i0')], { t: 3 });
    assert.deepEqual(plain(out), { a: { t: [2] }, y: { t: [0] }, z: { t: [1] } });
  });

  test('different subscriptions: each topic is split among its own subscribers', () => {
    const out = rangeAssign([member('m1', ['t1']), member('m2', ['t1', 't2'])], { t1: 2, t2: 2 });
    assert.deepEqual(plain(out), { m1: { t1: [0] }, m2: { t1: [1], t2: [0, 1] } });
  });

  test('more members than partitions; a topic that does not exist is ignored', () => {
    const out = rangeAssign([member('a', ['t', 'ghost']), member('b', ['t']), member('c', ['t'])], { t: 2 });
    assert.deepEqual(plain(out), { a: { t: [0] }, b: { t: [1] }, c: {} });
  });

  test('no members, no assignment', () => {
    assert.equal(rangeAssign([], { t: 3 }).size, 0);
  });
});

describe('roundrobin assignor', () => {
  test('same subscriptions: partitions in (topic, partition) order go round the members', () => {
    const out = roundRobinAssign([member('m2', ['a', 'b']), member('m1', ['b', 'a'])], { a: 2, b: 3 });
    assert.deepEqual(plain(out), { m1: { a: [0], b: [0, 2] }, m2: { a: [1], b: [1] } });
  });

  test("different subscriptions skip members not subscribed (Kafka's documented example)", () => {
    const out = roundRobinAssign([member('C0', ['t0']), member('C1', ['t0', 't1']), member('C2', ['t0', 't1', 't2'])], {
      t0: 1,
      t1: 2,
      t2: 3,
    });
    assert.deepEqual(plain(out), { C0: { t0: [0] }, C1: { t1: [0] }, C2: { t1: [1], t2: [0, 1, 2] } });
  });

  test('static members keep their place when their member id changes', () => {
    const before = roundRobinAssign([member('m-old', ['t'], {}, 'i0'), member('x', ['t'])], { t: 4 });
    const after = roundRobinAssign([member('m-new', ['t'], {}, 'i0'), member('x', ['t'])], { t: 4 });
    assert.deepEqual(plain(before)['m-old'], { t: [0, 2] });
    assert.deepEqual(plain(after)['m-new'], { t: [0, 2] });
    assert.deepEqual(plain(after).x, { t: [1, 3] });
  });
});

describe('sticky assignor', () => {
  test('fresh group: balanced, a topic spread round the members', () => {
    const out = stickyAssign([member('b', ['t']), member('c', ['t']), member('a', ['t'])], { t: 7 });
    assert.deepEqual(plain(out), { a: { t: [0, 3, 6] }, b: { t: [1, 4] }, c: { t: [2, 5] } });
  });

  test('a member joins: exactly one partition moves, from the member with the most', () => {
    const out = stickyAssign(
      [
        member('a', ['t'], { t: [0, 3, 6] }),
        member('b', ['t'], { t: [1, 4] }),
        member('c', ['t'], { t: [2, 5] }),
        member('d', ['t']),
      ],
      { t: 7 },
    );
    assert.deepEqual(plain(out), { a: { t: [0, 3] }, b: { t: [1, 4] }, c: { t: [2, 5] }, d: { t: [6] } });
  });

  test('a member leaves: only its partitions move; nobody else loses one', () => {
    const out = stickyAssign([member('a', ['t'], { t: [0, 3, 6] }), member('b', ['t'], { t: [1, 4] })], { t: 7 });
    assert.deepEqual(plain(out), { a: { t: [0, 2, 3, 6] }, b: { t: [1, 4, 5] } });
  });

  test('a balanced assignment stays as it is, even if topics are not spread', () => {
    const out = stickyAssign([member('m1', ['A', 'B'], { A: [0, 1, 2] }), member('m2', ['A', 'B'], { B: [0, 1, 2] })], {
      A: 3,
      B: 3,
    });
    assert.deepEqual(plain(out), { m1: { A: [0, 1, 2] }, m2: { B: [0, 1, 2] } });
  });

  test('deleted partitions and unsubscribed topics are dropped from what a member keeps', () => {
    const out = stickyAssign(
      [member('m1', ['t'], { t: [0, 1, 2, 3], gone: [0] }), member('m2', ['t'], { old: [0, 1] })],
      { t: 2, old: 2 },
    );
    assert.deepEqual(plain(out), { m1: { t: [0] }, m2: { t: [1] } });
  });

  test('a partition claimed by two members stays with the first by member id', () => {
    const out = stickyAssign([member('b', ['t'], { t: [0] }), member('a', ['t'], { t: [0] })], { t: 2 });
    assert.deepEqual(plain(out), { a: { t: [0] }, b: { t: [1] } });
  });

  test('different subscriptions, fresh: partitions with fewer candidates are placed first', () => {
    const out = stickyAssign([member('m1', ['t1']), member('m2', ['t1', 't2'])], { t1: 2, t2: 2 });
    assert.deepEqual(plain(out), { m1: { t1: [0, 1] }, m2: { t2: [0, 1] } });
  });

  test('different subscriptions: moves until no partition can go to a member with two fewer', () => {
    const out = stickyAssign([member('m1', ['t1']), member('m2', ['t1', 't2'], { t1: [0, 1, 2, 3] })], {
      t1: 4,
      t2: 2,
    });
    assert.deepEqual(plain(out), { m1: { t1: [0, 1, 2] }, m2: { t1: [3], t2: [0, 1] } });
  });

  test('the output does not depend on the order of the input', () => {
    const ms = [member('x', ['t'], { t: [5] }), member('y', ['t', 'u']), member('z', ['u'], { u: [0, 1] })];
    const counts = { t: 6, u: 3 };
    const reversed = [...ms].reverse();
    assert.deepEqual(plain(stickyAssign(ms, counts)), plain(stickyAssign(reversed, counts)));
  });

  test('no members, or no partitions', () => {
    assert.equal(stickyAssign([], { t: 3 }).size, 0);
    assert.deepEqual(plain(stickyAssign([member('a', ['t'])], {})), { a: {} });
  });
});
