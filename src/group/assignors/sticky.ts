/**
 * The sticky assignor (the default): balanced, and moving as few partitions as balance allows.
 *
 * 1. Keep: each member keeps the partitions of its current assignment that still exist and that
 *    it still subscribes to (members in member-id order; a partition two members claim stays
 *    with the first).
 * 2. Same subscriptions (the common case): with P partitions and N members each member's quota
 *    is ⌊P/N⌋, and P mod N members get one more. The extra slots go to the members that keep the
 *    most, so the partitions that must move are exactly Σ max(0, kept − quota): the fewest
 *    possible. A member over its quota gives up its last partitions in (topic, partition) order;
 *    every free partition then goes, in (topic, partition) order, round the members still under
 *    their quota (so a topic's partitions spread out).
 * 3. Different subscriptions: free partitions go, the ones with the fewest candidate members
 *    first, to the candidate with the fewest partitions; then, while some partition could go
 *    from its owner to a candidate holding two or more fewer partitions, it does. The result
 *    satisfies Kafka's balance condition: no partition can move to a member subscribed to its
 *    topic that would then hold fewer partitions than its owner. So members with the same
 *    subscriptions are within ±1 of each other, and a member with a wider subscription never
 *    holds two fewer than one with a narrower one. Moves are few but not proven minimal here.
 * Ties break by member id, so the output depends on nothing but the input.
 */
import {
  type AssignorMember,
  type Assignor,
  byMemberId,
  existingSubscription,
  finish,
  give,
  type GroupAssignment,
  partitionCount,
  subscribedTopics,
  type TopicPartitionCounts,
} from './common.js';

interface State {
  members: AssignorMember[];
  /** Global partition index → (topic, partition), in (topic, partition) order. */
  topicOf: string[];
  partitionOf: number[];
  /** Global partition index → owning member index, or -1. */
  owner: Int32Array;
  /** Member index → the global partition indexes it holds. */
  held: Set<number>[];
  /** Topic → indexes of the members subscribed to it, in member-id order. */
  candidates: Map<string, number[]>;
}

export function stickyAssign(members: readonly AssignorMember[], counts: TopicPartitionCounts): GroupAssignment {
  const ordered = byMemberId(members);
  const subs = ordered.map((m) => existingSubscription(m, counts));
  const topics = subscribedTopics(ordered, counts);
  const topicBase = new Map<string, number>();
  const topicOf: string[] = [];
  const partitionOf: number[] = [];
  for (const t of topics) {
    topicBase.set(t, topicOf.length);
    for (let p = 0; p < partitionCount(counts, t); p++) {
      topicOf.push(t);
      partitionOf.push(p);
    }
  }
  const candidates = new Map<string, number[]>(topics.map((t) => [t, []]));
  subs.forEach((ts, mi) => {
    for (const t of ts) candidates.get(t)!.push(mi);
  });
  const s: State = {
    members: ordered,
    topicOf,
    partitionOf,
    owner: new Int32Array(topicOf.length).fill(-1),
    held: ordered.map(() => new Set<number>()),
    candidates,
  };

  // 1. Keep what is still valid.
  ordered.forEach((m, mi) => {
    const subscribed = new Set(subs[mi]);
    for (const [t, ps] of m.currentAssignment) {
      if (!subscribed.has(t)) continue;
      const n = partitionCount(counts, t);
      for (const p of ps) {
        const gi = topicBase.get(t)! + p;
        if (Number.isInteger(p) && p >= 0 && p < n && s.owner[gi] === -1) take(s, gi, mi);
      }
    }
  });

  const key = (ts: string[]) => ts.join('\u0000');
  const homogeneous = subs.every((ts) => key(ts) === key(subs[0]!));
  if (homogeneous) balanceSameSubscriptions(s);
  else balanceMixedSubscriptions(s);

  const acc = new Map<string, Map<string, number[]>>();
  s.owner.forEach((mi, gi) => {
    if (mi >= 0) give(acc, ordered[mi]!.memberId, topicOf[gi]!, partitionOf[gi]!);
  });
  return finish(ordered, acc);
}

function take(s: State, gi: number, mi: number): void {
  s.owner[gi] = mi;
  s.held[mi]!.add(gi);
}

function release(s: State, gi: number): void {
  s.held[s.owner[gi]!]!.delete(gi);
  s.owner[gi] = -1;
}

function sortedHeld(s: State, mi: number): number[] {
  return [...s.held[mi]!].sort((a, b) => a - b);
}

function balanceSameSubscriptions(s: State): void {
  const n = s.members.length;
  const total = s.topicOf.length;
  if (n === 0 || total === 0) return;
  const base = Math.floor(total / n);
  const extra = total % n;
  const quota = new Int32Array(n).fill(base);
  const byKept = s.members.map((_, mi) => mi).sort((a, b) => s.held[b]!.size - s.held[a]!.size || a - b);
  for (let i = 0; i < extra; i++) quota[byKept[i]!] = base + 1;

  for (let mi = 0; mi < n; mi++) {
    const over = s.held[mi]!.size - quota[mi]!;
    if (over > 0) for (const gi of sortedHeld(s, mi).slice(-over)) release(s, gi);
  }
  const under = s.members.map((_, mi) => mi).filter((mi) => s.held[mi]!.size < quota[mi]!);
  let next = 0;
  for (let gi = 0; gi < total; gi++) {
    if (s.owner[gi] !== -1) continue;
    // Free partitions = the sum of the shortfalls, so a member under its quota is always found.
    while (s.held[under[next]!]!.size >= quota[under[next]!]!) next = (next + 1) % under.length;
    take(s, gi, under[next]!);
    next = (next + 1) % under.length;
  }
}

/** The candidate for `topic` holding the fewest partitions (ties: lower member index), other than `not`. */
function leastLoaded(s: State, topic: string, not = -1): number {
  let best = -1;
  for (const mi of s.candidates.get(topic)!) {
    if (mi !== not && (best === -1 || s.held[mi]!.size < s.held[best]!.size)) best = mi;
  }
  return best;
}

function balanceMixedSubscriptions(s: State): void {
  const free: number[] = [];
  s.owner.forEach((mi, gi) => {
    if (mi === -1) free.push(gi);
  });
  const choices = (gi: number) => s.candidates.get(s.topicOf[gi]!)!.length;
  free.sort((a, b) => choices(a) - choices(b) || a - b);
  for (const gi of free) take(s, gi, leastLoaded(s, s.topicOf[gi]!));

  // Each move takes a partition from a member with at least two more than the receiver, so the
  // sum of squared loads falls with every move and the loop ends.
  for (let moved = true; moved; ) {
    moved = false;
    const byLoad = s.members.map((_, mi) => mi).sort((a, b) => s.held[b]!.size - s.held[a]!.size || a - b);
    for (const mi of byLoad) {
      for (const gi of sortedHeld(s, mi)) {
        const to = leastLoaded(s, s.topicOf[gi]!, mi);
        if (to !== -1 && s.held[to]!.size + 1 < s.held[mi]!.size) {
          release(s, gi);
          take(s, gi, to);
          moved = true;
        }
      }
    }
  }
}

export const StickyAssignor: Assignor = { name: 'sticky', assign: stickyAssign };
