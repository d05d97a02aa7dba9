import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { compileSubscriptionRegex, resolveSubscription } from '../../src/group/subscription.js';
import { EMPTY_ASSIGNMENT } from '../../src/group/assignment.js';
import { reconcile, type Reconciled } from '../../src/group/member.js';
import { a } from './helpers.js';

describe('subscription regex', () => {
  test('matches whole names only; internal topics never', () => {
    const re = compileSubscriptionRegex('orders|pay.*');
    const topics = { orders: 1, 'orders-eu': 1, payments: 2, __payments: 1 };
    assert.deepEqual(resolveSubscription([], re, topics), ['orders', 'payments']);
    assert.deepEqual(resolveSubscription(['orders-eu', 'ghost'], null, topics), ['orders-eu']);
    assert.deepEqual(resolveSubscription(['orders'], re, topics), ['orders', 'payments']);
  });

  test('patterns that can backtrack for ever, or that RE2 lacks, are refused', () => {
    for (const bad of [
      '(a+)+b',
      '(a|aa)*',
      '(x*)*',
      '(?:a{2,})+',
      '(a)\\1',
      '(?=a)a',
      '(?<!a)b',
      '',
      'x'.repeat(1025),
      '[',
    ]) {
      assert.throws(() => compileSubscriptionRegex(bad), { code: 'INVALID_REQUEST' }, bad);
    }
    for (const ok of [
      'orders\\..*',
      '(orders|payments)-.*',
      '(?:ab)+',
      '(?<region>eu|us)-orders',
      '[(+*]+',
      'a{2,3}b',
    ]) {
      assert.ok(compileSubscriptionRegex(ok) instanceof RegExp, ok);
    }
  });
});

describe('reconcile (one step)', () => {
  const start: Reconciled = {
    state: 'STABLE',
    memberEpoch: 3,
    previousMemberEpoch: 2,
    assigned: a({ t: [0, 1] }),
    pendingRevocation: EMPTY_ASSIGNMENT,
  };
  const free = () => true;

  test('at the target epoch: nothing to do', () => {
    assert.equal(reconcile(start, { target: a({ t: [5] }), targetEpoch: 3, isFree: free, reported: null }), start);
  });

  test('revokes first, keeping its epoch and getting nothing new', () => {
    const next = reconcile(start, {
      target: a({ t: [1, 2] }),
      targetEpoch: 4,
      isFree: free,
      reported: a({ t: [0, 1] }),
    });
    assert.deepEqual(next, {
      state: 'UNREVOKED_PARTITIONS',
      memberEpoch: 3,
      previousMemberEpoch: 2,
      assigned: a({ t: [1] }),
      pendingRevocation: a({ t: [0] }),
    });
    const still = reconcile(next, {
      target: a({ t: [1, 2] }),
      targetEpoch: 4,
      isFree: free,
      reported: a({ t: [0, 1] }),
    });
    assert.equal(still, next, 'still reports t-0');
    const unknown = reconcile(next, { target: a({ t: [1, 2] }), targetEpoch: 4, isFree: free, reported: null });
    assert.equal(unknown, next, 'did not say what it owns');
    const done = reconcile(next, { target: a({ t: [1, 2] }), targetEpoch: 4, isFree: free, reported: a({ t: [1] }) });
    assert.deepEqual(done, {
      state: 'STABLE',
      memberEpoch: 4,
      previousMemberEpoch: 3,
      assigned: a({ t: [1, 2] }),
      pendingRevocation: EMPTY_ASSIGNMENT,
    });
  });

  test('a revoked partition the member already dropped needs no revocation round', () => {
    const next = reconcile(start, { target: a({ t: [1] }), targetEpoch: 4, isFree: free, reported: a({ t: [1] }) });
    assert.equal(next.state, 'STABLE');
    assert.equal(next.memberEpoch, 4);
  });

  test('partitions still owned elsewhere wait: UNRELEASED_PARTITIONS, at the new epoch', () => {
    const isFree = (_t: string, p: number) => p !== 3;
    const next = reconcile(start, { target: a({ t: [0, 1, 2, 3] }), targetEpoch: 4, isFree, reported: null });
    assert.deepEqual(next, {
      state: 'UNRELEASED_PARTITIONS',
      memberEpoch: 4,
      previousMemberEpoch: 3,
      assigned: a({ t: [0, 1, 2] }),
      pendingRevocation: EMPTY_ASSIGNMENT,
    });
    const later = reconcile(next, { target: a({ t: [0, 1, 2, 3] }), targetEpoch: 4, isFree: free, reported: null });
    assert.equal(later.state, 'STABLE');
    assert.deepEqual(later.assigned, a({ t: [0, 1, 2, 3] }));
    assert.equal(later.previousMemberEpoch, 3);
  });
});
