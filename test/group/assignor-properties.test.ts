/**
 * Property tests for the assignors over random join / leave / grow sequences (seeded, so a
 * failure names the seed that replays it).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type Assignment, assignmentSize, EMPTY_ASSIGNMENT, hasPartition } from '../../src/group/assignment.js';
import {
  type AssignFn,
  type AssignorMember,
  type GroupAssignment,
  rangeAssign,
  roundRobinAssign,
  stickyAssign,
} from '../../src/group/assignors/index.js';
import { prng } from './helpers.js';

const SEEDS = 150;
const STEPS = 30;
const TOPICS = ['a', 'b', 'c'];
/** The subscription of every member in the same-subscriptions runs. */
const SAME = ['a', 'b'];

interface Scenario {
  members: AssignorMember[];
  counts: Record<string, number>;
  previous: GroupAssignment;
}

/** Runs a random sequence; `check` sees each step's input, output and the previous output. */
function run(
  seed: number,
  assign: AssignFn,
  sameSubscriptions: boolean,
  check: (s: Scenario, out: GroupAssignment) => void,
) {
  const rng = prng(seed);
  const counts: Record<string, number> = { a: 1 + rng.int(8), b: rng.int(6), c: 1 + rng.int(4) };
  let subs = new Map<string, string[]>();
  let previous: GroupAssignment = new Map();
  let next = 0;
  const subscription = () => (sameSubscriptions ? SAME : TOPICS.filter(() => rng.next() < 0.6));
  for (let step = 0; step < STEPS; step++) {
    const roll = rng.next();
    if (roll < 0.45 || subs.size === 0) {
      subs.set(`m${String(next++).padStart(3, '0')}`, subscription());
    } else if (roll < 0.8) {
      const gone = rng.pick([...subs.keys()]);
      subs = new Map([...subs].filter(([id]) => id !== gone));
    } else {
      const t = rng.pick(TOPICS);
      counts[t] = counts[t]! + 1 + rng.int(3);
    }
    const members: AssignorMember[] = [...subs].map(([memberId, subscribedTopics]) => ({
      memberId,
      subscribedTopics,
      currentAssignment: previous.get(memberId) ?? EMPTY_ASSIGNMENT,
    }));
    const shuffled = [...members].sort(() => rng.next() - 0.5);
    const out = assign(shuffled, { ...counts });
    check({ members, counts: { ...counts }, previous }, out);
    previous = out;
  }
}

function assertExactlyOnce({ members, counts }: Scenario, out: GroupAssignment, seed: number): void {
  assert.equal(out.size, members.length, `seed ${seed}: an entry per member`);
  for (const t of TOPICS) {
    const subscribers = members.filter((m) => m.subscribedTopics.includes(t));
    for (let p = 0; p < counts[t]!; p++) {
      const owners = members.filter((m) => hasPartition(out.get(m.memberId)!, t, p));
      if (subscribers.length === 0) {
        assert.equal(owners.length, 0, `seed ${seed}: ${t}-${p} has no subscriber but an owner`);
      } else {
        assert.equal(owners.length, 1, `seed ${seed}: ${t}-${p} owned by ${owners.length}`);
        assert.ok(owners[0]!.subscribedTopics.includes(t), `seed ${seed}: ${t}-${p} given to a non-subscriber`);
      }
    }
  }
  for (const [memberId, a] of out) {
    for (const [t, ps] of a) for (const p of ps) assert.ok(p < counts[t]!, `seed ${seed}: ${memberId} has ${t}-${p}`);
  }
}

function sizes(out: GroupAssignment): number[] {
  return [...out.values()].map(assignmentSize);
}

/** The fewest partitions that must change owner from `previous` to a ±1-balanced assignment. */
function minimumMoves({ members, counts, previous }: Scenario): number {
  const present = new Set(members.map((m) => m.memberId));
  const valid = (t: string, p: number) => SAME.includes(t) && p < counts[t]!;
  let departed = 0;
  const kept: number[] = [];
  for (const [memberId, a] of previous) {
    let n = 0;
    for (const [t, ps] of a) for (const p of ps) if (valid(t, p)) n++;
    if (present.has(memberId)) kept.push(n);
    else departed += n;
  }
  if (members.length === 0) return departed;
  const total = SAME.reduce((n, t) => n + counts[t]!, 0);
  const base = Math.floor(total / members.length);
  const extra = total % members.length;
  const over = kept.reduce((n, k) => n + Math.max(0, k - base), 0);
  const mayKeepOneMore = kept.filter((k) => k > base).length;
  return departed + over - Math.min(extra, mayKeepOneMore);
}

function moves({ previous, counts }: Scenario, out: GroupAssignment): number {
  let n = 0;
  for (const [memberId, a] of previous) {
    for (const [t, ps] of a) {
      for (const p of ps) {
        if (p >= counts[t]!) continue;
        const now: Assignment | undefined = out.get(memberId);
        if (now === undefined || !hasPartition(now, t, p)) n++;
      }
    }
  }
  return n;
}

describe('assignor properties (random join/leave/grow sequences)', () => {
  test('sticky, same subscriptions: exactly once, ±1, and only the partitions that must move do', () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      run(seed, stickyAssign, true, (s, out) => {
        assertExactlyOnce(s, out, seed);
        const z = sizes(out);
        assert.ok(Math.max(...z) - Math.min(...z) <= 1, `seed ${seed}: sizes ${z}`);
        assert.equal(moves(s, out), minimumMoves(s), `seed ${seed}: moved more than necessary`);
      });
    }
  });

  test("sticky, different subscriptions: exactly once, and Kafka's balance condition holds", () => {
    for (let seed = 1; seed <= SEEDS; seed++) {
      run(seed, stickyAssign, false, (s, out) => {
        assertExactlyOnce(s, out, seed);
        for (const owner of s.members) {
          const mine = out.get(owner.memberId)!;
          for (const [t] of mine) {
            for (const other of s.members) {
              if (other === owner || !other.subscribedTopics.includes(t)) continue;
              const diff = assignmentSize(mine) - assignmentSize(out.get(other.memberId)!);
              assert.ok(diff <= 1, `seed ${seed}: ${owner.memberId} could give a ${t} partition to ${other.memberId}`);
            }
          }
        }
        // Members with identical subscriptions are within one of each other.
        const bySub = new Map<string, number[]>();
        for (const m of s.members) {
          const key = [...m.subscribedTopics].sort().join(',');
          bySub.set(key, [...(bySub.get(key) ?? []), assignmentSize(out.get(m.memberId)!)]);
        }
        for (const z of bySub.values()) assert.ok(Math.max(...z) - Math.min(...z) <= 1, `seed ${seed}`);
      });
    }
  });

  test('range: exactly once, each topic within ±1 among its subscribers', () => {
    for (const same of [true, false]) {
      for (let seed = 1; seed <= SEEDS; seed++) {
        run(seed, rangeAssign, same, (s, out) => {
          assertExactlyOnce(s, out, seed);
          for (const t of TOPICS) {
            const z = s.members
              .filter((m) => m.subscribedTopics.includes(t))
              .map((m) => out.get(m.memberId)!.get(t)?.length ?? 0);
            if (z.length > 0) assert.ok(Math.max(...z) - Math.min(...z) <= 1, `seed ${seed} ${t}: ${z}`);
          }
        });
      }
    }
  });

  test('roundrobin: exactly once; ±1 overall with same subscriptions', () => {
    for (const same of [true, false]) {
      for (let seed = 1; seed <= SEEDS; seed++) {
        run(seed, roundRobinAssign, same, (s, out) => {
          assertExactlyOnce(s, out, seed);
          if (same) {
            const z = sizes(out);
            assert.ok(Math.max(...z) - Math.min(...z) <= 1, `seed ${seed}: sizes ${z}`);
          }
        });
      }
    }
  });
});
