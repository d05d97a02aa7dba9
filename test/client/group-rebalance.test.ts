/**
 * Rebalances of SDK group consumers under a continuous stream of records: members join one by one
 * (up to more members than partitions), leave cleanly, and crash. Every assignment, revocation and
 * consumed record is logged with one monotonic sequence number, and the log is checked: no partition
 * ever has two owners, every record is consumed by its partition's owner of the moment, every
 * produced record is consumed, clean rebalances consume nothing twice, and members whose partitions
 * do not move see no event.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Consumer, Rivulet, Socket, SocketFactory } from '../../src/client/index.js';
import { nodeSocketFactory, RivuletError } from '../../src/client/index.js';
import { type Fixture, sleep, startBroker } from './fixture.js';

const PARTITIONS = 6;
const GROUP_BROKER = { groupSessionTimeoutMs: 1_500, groupHeartbeatIntervalMs: 100 };
const MEMBER = { maxWaitMs: 100, heartbeatIntervalMs: 100, sessionTimeoutMs: 1_500 };

type Event =
  | { seq: number; member: string; kind: 'assigned' | 'revoked' | 'lost'; tps: string[] }
  | { seq: number; member: string; kind: 'crash' }
  | { seq: number; member: string; kind: 'record'; tp: string; offset: number };

type WithoutSeq<T> = T extends unknown ? Omit<T, 'seq'> : never;

class Log {
  seq = 0;
  events: Event[] = [];
  add(e: WithoutSeq<Event>): void {
    this.events.push({ ...e, seq: ++this.seq } as Event);
  }
}

/** Produces one record per partition every few ms until stopped; remembers every offset written. */
class Stream {
  readonly produced = new Set<string>();
  private stopped = false;
  private loop: Promise<void> | undefined;
  constructor(
    private readonly client: Rivulet,
    private readonly topic: string,
  ) {}
  start(): void {
    const p = this.client.producer({ lingerMs: 2 });
    this.loop = (async () => {
      let n = 0;
      while (!this.stopped) {
        const messages = Array.from({ length: PARTITIONS }, (_, partition) => ({ value: `v${n++}`, partition }));
        for (const r of await p.send({ topic: this.topic, messages })) this.produced.add(`${r.topic}/${r.partition}@${r.offset}`);
        await sleep(5);
      }
    })();
  }
  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }
}

class Member {
  crashed = false;
  readonly consumer: Consumer;
  constructor(
    readonly name: string,
    client: Rivulet,
    groupId: string,
    topic: string,
    log: Log,
    extra: object = {},
  ) {
    const c = client.consumer({ groupId, ...MEMBER, ...extra });
    this.consumer = c;
    c.subscribe({ topic, fromBeginning: true });
    const keys = (ps: { topic: string; partition: number }[]) => ps.map((p) => `${p.topic}/${p.partition}`);
    c.on('partitions.assigned', (ps) => {
      if (!this.crashed) log.add({ member: name, kind: 'assigned', tps: keys(ps) });
    });
    c.on('partitions.revoked', (ps) => {
      if (!this.crashed) log.add({ member: name, kind: 'revoked', tps: keys(ps) });
    });
    c.on('partitions.lost', (ps) => {
      if (!this.crashed) log.add({ member: name, kind: 'lost', tps: keys(ps) });
    });
    void c.run({
      eachMessage: async ({ topic: t, partition, message }) => {
        if (!this.crashed) log.add({ member: name, kind: 'record', tp: `${t}/${partition}`, offset: message.offset });
      },
    });
  }
  owned(): string[] {
    return this.consumer
      .assignment()
      .map((p) => `${p.topic}/${p.partition}`)
      .sort();
  }
}

/** Waits until the broker calls the group Stable and the members' own views cover every partition once. */
async function waitStable(client: Rivulet, groupId: string, members: Member[], ms = 20_000): Promise<void> {
  const admin = client.admin();
  const end = Date.now() + ms;
  for (;;) {
    const g = (await admin.describeGroups([groupId])).groups[0]!;
    const owned = members.flatMap((m) => m.owned());
    const settled =
      g.state === 'Stable' &&
      g.members.length === members.length &&
      g.members.every((m) => m.memberState === 'Stable') &&
      owned.length === PARTITIONS &&
      new Set(owned).size === PARTITIONS;
    if (settled) return;
    if (Date.now() > end) throw new Error(`group ${groupId} not stable: ${JSON.stringify({ state: g.state, owned })}`);
    await sleep(25);
  }
}

/** Replays the log: one owner per partition at every instant; records only from the owner. */
function checkTimeline(log: Log): void {
  const owner = new Map<string, string>();
  const dead = new Set<string>();
  for (const e of log.events) {
    if (dead.has(e.member)) continue;
    switch (e.kind) {
      case 'assigned':
        for (const tp of e.tps) {
          assert.equal(owner.get(tp), undefined, `seq ${e.seq}: ${e.member} got ${tp} while ${owner.get(tp)} owns it`);
          owner.set(tp, e.member);
        }
        break;
      case 'revoked':
      case 'lost':
        for (const tp of e.tps) {
          assert.equal(owner.get(tp), e.member, `seq ${e.seq}: ${e.member} gave up ${tp} it did not own`);
          owner.delete(tp);
        }
        break;
      case 'crash':
        dead.add(e.member);
        for (const [tp, m] of owner) if (m === e.member) owner.delete(tp);
        break;
      case 'record':
        assert.equal(owner.get(e.tp), e.member, `seq ${e.seq}: ${e.member} consumed ${e.tp}@${e.offset} without owning it`);
        break;
    }
  }
}

function consumed(log: Log): Map<string, number> {
  const counts = new Map<string, number>();
  for (const e of log.events) {
    if (e.kind === 'record') counts.set(`${e.tp}@${e.offset}`, (counts.get(`${e.tp}@${e.offset}`) ?? 0) + 1);
  }
  return counts;
}

async function waitAllConsumed(log: Log, stream: Stream, ms = 20_000): Promise<Map<string, number>> {
  const end = Date.now() + ms;
  for (;;) {
    const counts = consumed(log);
    const missing = [...stream.produced].filter((k) => !counts.has(k));
    if (missing.length === 0) return counts;
    if (Date.now() > end) throw new Error(`${missing.length} records never consumed, e.g. ${missing.slice(0, 5).join(' ')}`);
    await sleep(50);
  }
}

/** A socket factory whose sockets can be cut for good (the process behind them "crashed"). */
function crashable(): { factory: SocketFactory; crash(): void } {
  const sockets = new Set<Socket>();
  let crashed = false;
  return {
    factory: async (url, timeoutMs, handlers) => {
      if (crashed) throw new RivuletError('CONNECTION_ERROR', 'crashed');
      const s = await nodeSocketFactory(url, timeoutMs, handlers);
      sockets.add(s);
      return s;
    },
    crash() {
      crashed = true;
      for (const s of sockets) s.terminate();
    },
  };
}

describe('consumer group rebalances under load', () => {
  let f: Fixture;
  let client: Rivulet;
  before(async () => {
    f = await startBroker(GROUP_BROKER);
    client = f.client();
  });
  after(() => f.stop());

  it('members join one by one past the partition count, then leave cleanly: one owner at a time, nothing lost or read twice', async () => {
    const topic = 'clean';
    await client.admin().createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
    const log = new Log();
    const stream = new Stream(client, topic);
    stream.start();
    const members: Member[] = [];
    /** Runs one membership change; members whose partitions did not move must have seen no event. */
    const step = async (change: () => Promise<void>) => {
      const before = new Map(members.map((m) => [m.name, m.owned().join(',')]));
      const from = log.seq;
      await change();
      await waitStable(client, 'g-clean', members);
      await sleep(150); // a few more heartbeats: nothing else may move
      for (const m of members) {
        if (before.get(m.name) !== m.owned().join(',')) continue;
        const moved = log.events.filter((e) => e.seq > from && e.member === m.name && e.kind !== 'record');
        assert.deepEqual(moved, [], `${m.name} kept its partitions yet saw events`);
      }
    };
    for (let i = 0; i < 8; i++) {
      await step(async () => {
        members.push(new Member(`m${i}`, client, 'g-clean', topic, log));
      });
      await sleep(100); // records flow while the group is stable
    }
    assert.equal(members.filter((m) => m.owned().length === 0).length, 2, 'two members beyond the partition count idle');
    for (const name of ['m0', 'm3', 'm5']) {
      await step(async () => {
        const i = members.findIndex((m) => m.name === name);
        const [gone] = members.splice(i, 1);
        await gone!.consumer.disconnect();
      });
    }
    await stream.stop();
    const counts = await waitAllConsumed(log, stream);
    checkTimeline(log);
    const twice = [...counts].filter(([, n]) => n > 1).map(([k]) => k);
    assert.deepEqual(twice, [], 'clean rebalances read nothing twice');
    assert.ok(stream.produced.size > 0);
    await Promise.all(members.map((m) => m.consumer.disconnect()));
  });

  it('a member that crashes is replaced after the session timeout; every record is consumed at least once', async () => {
    const topic = 'crash';
    await client.admin().createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
    const log = new Log();
    const stream = new Stream(client, topic);
    stream.start();
    const net = crashable();
    const crashClient = f.client({ socketFactory: net.factory });
    const a = new Member('a', client, 'g-crash', topic, log);
    const b = new Member('b', client, 'g-crash', topic, log);
    const victim = new Member('victim', crashClient, 'g-crash', topic, log, { autoCommitIntervalMs: 200 });
    await waitStable(client, 'g-crash', [a, b, victim]);
    assert.ok(victim.owned().length > 0);
    await sleep(500); // it consumes and commits for a while
    victim.crashed = true;
    log.add({ member: 'victim', kind: 'crash' });
    net.crash(); // no leave: the broker only learns of it when the session times out
    await waitStable(client, 'g-crash', [a, b]);
    await sleep(200);
    await stream.stop();
    await waitAllConsumed(log, stream);
    checkTimeline(log);
    await Promise.all([a.consumer.disconnect(), b.consumer.disconnect(), victim.consumer.disconnect()]);
  });
});
