/**
 * The coordinator under random event sequences (seeded): members join, leave, crash, restart as
 * static members, partitions grow, time passes. Every live member heartbeats each interval, in a
 * random order, and lets go of revoked partitions only at its next heartbeat. After every single
 * heartbeat no partition may be owned by two members; at the end the group must settle with every
 * partition owned once and ±1 balance.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatAssignment, intersect, isSubset } from '../../src/group/assignment.js';
import { GroupCoordinator } from '../../src/group/coordinator.js';
import { ManualScheduler, MemoryOffsetLog, prng } from './helpers.js';
import { assertCoveredAndBalanced, assertDisjoint, SimMember, settle } from './sim.js';

const SEEDS = 40;
const EVENTS = 60;
const G = 'g';
const TOPICS = ['t', 'u'];

function runSeed(seed: number): void {
  const rng = prng(seed);
  const clock = new ManualScheduler(0);
  let ids = 0;
  const coord = new GroupCoordinator({
    offsetLog: new MemoryOffsetLog(),
    scheduler: clock,
    topics: { t: 1 + rng.int(8), u: rng.int(5) },
    newMemberId: () => `m${String(++ids).padStart(3, '0')}`,
  });
  let live: SimMember[] = [];
  let instances = 0;
  const check = (what: string) => assertDisjoint(live, `seed ${seed}, ${what}`);
  const tick = () => {
    clock.advance(coord.heartbeatIntervalMs);
    for (const m of [...live].sort(() => rng.next() - 0.5)) {
      m.heartbeat();
      check(`heartbeat of ${m.memberId}`);
    }
  };

  for (let e = 0; e < EVENTS; e++) {
    const roll = rng.next();
    if (roll < 0.3 && live.length < 8) {
      const instanceId = rng.next() < 0.3 ? `host-${instances++}` : undefined;
      const m = new SimMember(coord, G, { topics: TOPICS, instanceId });
      live.push(m);
      m.heartbeat();
      check('join');
    } else if (roll < 0.4 && live.length > 0) {
      const m = rng.pick(live);
      m.leave();
      live = live.filter((x) => x !== m);
    } else if (roll < 0.47 && live.length > 0) {
      const m = rng.pick(live);
      m.crash(); // silent from now on; its session will time out
      live = live.filter((x) => x !== m);
    } else if (roll < 0.55) {
      const statics = live.filter((m) => m.opts.instanceId !== undefined);
      if (statics.length > 0) {
        const old = rng.pick(statics);
        const group = coord.group(G)!;
        const epoch = group.groupEpoch;
        // What the old incarnation holds and keeps: its assigned partitions still in its target.
        const had = intersect(group.members.get(old.memberId)!.assigned, group.targets.get(old.memberId)!);
        old.leave(-2);
        const fresh = new SimMember(coord, G, { topics: TOPICS, instanceId: old.opts.instanceId });
        live = live.map((x) => (x === old ? fresh : x));
        fresh.heartbeat();
        check('static restart');
        // It gets that back at once (and maybe target partitions released meanwhile).
        assert.ok(
          isSubset(had, fresh.allowed),
          `seed ${seed}: had ${formatAssignment(had)}, got ${formatAssignment(fresh.allowed)}`,
        );
        assert.equal(coord.group(G)!.groupEpoch, epoch, `seed ${seed}: a static restart is no rebalance`);
      }
    } else if (roll < 0.6) {
      const topic = rng.pick(TOPICS);
      const counts = { ...coord.topics() };
      counts[topic] = (counts[topic] ?? 0) + 1 + rng.int(3);
      coord.onMetadataChange(counts);
    } else {
      tick();
    }
  }
  // Quiet period: crashed members time out, everyone converges.
  for (let i = 0; i < 12; i++) tick();
  if (live.length > 0) {
    settle(coord, G, live, 20);
    assertCoveredAndBalanced(live, { ...coord.topics() });
    assert.equal(coord.group(G)!.members.size, live.length, `seed ${seed}: crashed members were removed`);
  }
  coord.close();
}

describe('coordinator properties', () => {
  test('random membership sequences: never two owners, and it always settles balanced', () => {
    for (let seed = 1; seed <= SEEDS; seed++) runSeed(seed);
  });
});
