/**
 * SDK consumer groups against a real broker: where a group starts, commits and lag, offsets across
 * a broker restart, admin group operations, regex subscriptions, fencing, static members and the
 * poll-interval watchdog.
 */
import assert from 'node:assert/strict';
import { get } from 'node:http';
import { after, before, describe, it } from 'node:test';
import type { Consumer, KafkaMessage, Rivulet, RivuletConfig, Socket, SocketFactory } from '../../src/client/index.js';
import { nodeSocketFactory, RivuletError } from '../../src/client/index.js';
import { eventually, type Fixture, sleep, startBroker, text } from './fixture.js';

const GROUP_BROKER = { groupSessionTimeoutMs: 1_500, groupHeartbeatIntervalMs: 100 };
const FAST = { maxWaitMs: 100, heartbeatIntervalMs: 100, sessionTimeoutMs: 1_500 };

async function produce(client: Rivulet, topic: string, values: string[], partition?: number): Promise<void> {
  const p = client.producer();
  await p.send({ topic, messages: values.map((value) => ({ value, partition })) });
}

/** Runs a group consumer that records every message; resolves once it owns partitions (or at once). */
function runRecording(c: Consumer, out: KafkaMessage[] = [], topics?: string[]): KafkaMessage[] {
  void c.run({
    eachMessage: async ({ message, topic }) => {
      if (topics === undefined || topics.includes(topic)) out.push(message);
    },
  });
  return out;
}

/** GET /metrics on a connection of its own, closed after (a kept-alive one would outlive a broker restart). */
function httpMetrics(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = get({ host: '127.0.0.1', port, path: '/metrics', agent: false, headers: { connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

function metric(textBody: string, name: string, labels: string): number | undefined {
  const line = textBody.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
}

/** A socket factory whose sockets can be cut, and that then refuses to connect (a crashed peer). */
function cuttable(): { factory: SocketFactory; cut(): void; dropHeartbeats: { on: boolean } } {
  const sockets = new Set<Socket>();
  let cut = false;
  const dropHeartbeats = { on: false };
  const factory: SocketFactory = async (url, timeoutMs, handlers) => {
    if (cut) throw new RivuletError('CONNECTION_ERROR', 'cut');
    const s = await nodeSocketFactory(url, timeoutMs, handlers);
    sockets.add(s);
    return new Proxy(s, {
      get(target, prop, receiver) {
        if (prop === 'send') {
          return (frame: Uint8Array) => {
            // Frame: 4-byte header length, then msgpack [apiKey, ...]: 0x94, apiKey 68 (positive fixint).
            if (dropHeartbeats.on && frame[4] === 0x94 && frame[5] === 68) return;
            target.send(frame);
          };
        }
        const v = Reflect.get(target, prop, receiver);
        return typeof v === 'function' ? v.bind(target) : v;
      },
    });
  };
  return {
    factory,
    cut() {
      cut = true;
      for (const s of sockets) s.terminate();
    },
    dropHeartbeats,
  };
}

describe('consumer groups (SDK)', () => {
  let f: Fixture;
  let client: Rivulet;
  before(async () => {
    f = await startBroker(GROUP_BROKER);
    client = f.client();
  });
  after(() => f.stop());

  it('starts at the earliest offset with fromBeginning, commits on disconnect, and reports lag', async () => {
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 'lag', numPartitions: 2 }] });
    await produce(client, 'lag', ['a', 'b', 'c'], 0);
    await produce(client, 'lag', ['d', 'e'], 1);
    const c = client.consumer({ groupId: 'g-lag', ...FAST });
    c.subscribe({ topics: ['lag'], fromBeginning: true });
    const got = runRecording(c);
    await eventually(() => got.length === 5, 10_000, 'five records');
    await c.disconnect();
    const offsets = await admin.fetchOffsets({ groupId: 'g-lag', topics: ['lag'] });
    assert.deepEqual(offsets, [
      {
        topic: 'lag',
        partitions: [
          { partition: 0, offset: 3, metadata: '' },
          { partition: 1, offset: 2, metadata: '' },
        ],
      },
    ]);
    await produce(client, 'lag', ['f', 'g', 'h', 'i'], 0);
    const lag = await admin.fetchGroupLag({ groupId: 'g-lag' });
    assert.deepEqual(
      lag.map((l) => [l.partition, l.committedOffset, l.logEndOffset, l.lag]),
      [
        [0, 3, 7, 4],
        [1, 2, 2, 0],
      ],
    );
    const m = await httpMetrics(f.broker.port);
    assert.equal(metric(m, 'rivulet_consumer_group_lag', 'group="g-lag",topic="lag",partition="0"'), 4);
    assert.equal(metric(m, 'rivulet_consumer_group_lag', 'group="g-lag",topic="lag",partition="1"'), 0);

    // Without fromBeginning, a new group starts at the end: only records produced later arrive.
    const late = client.consumer({ groupId: 'g-late', ...FAST });
    late.subscribe({ topic: 'lag' });
    const assigned: number[] = [];
    late.on('partitions.assigned', (ps) => void assigned.push(...ps.map((p) => p.partition)));
    const lateGot = runRecording(late);
    await eventually(() => assigned.length === 2, 10_000, 'the assignment');
    await eventually(() => late.position('lag', 0) >= 0 && late.position('lag', 1) >= 0, 10_000, 'resolved starts');
    await produce(client, 'lag', ['new'], 1);
    await eventually(() => lateGot.length === 1, 10_000, 'the new record');
    assert.equal(text(lateGot[0]!.value), 'new');
    await late.disconnect();
  });

  it('resumes at the committed offset after a broker restart', async () => {
    // A broker of its own: the /metrics request of another test leaves the port in TIME-WAIT.
    const f = await startBroker(GROUP_BROKER);
    try {
      await resumeAfterRestart(f);
    } finally {
      await f.stop();
    }
  });

  async function resumeAfterRestart(f: Fixture): Promise<void> {
    const client = f.client();
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 'durable', numPartitions: 1 }] });
    await produce(client, 'durable', ['r0', 'r1', 'r2', 'r3']);
    const c1 = client.consumer({ groupId: 'g-durable', ...FAST });
    c1.subscribe({ topic: 'durable', fromBeginning: true });
    const got1 = runRecording(c1);
    await eventually(() => got1.length === 4, 10_000, 'four records');
    await c1.commitOffsets([{ topic: 'durable', partition: 0, offset: 3 }]); // r3 is to be read again
    await c1.disconnect(); // commits the processed position: 4
    await c1.disconnect();
    // An explicit commit below the processed position, from outside the group (no members now).
    await admin.setOffsets({ groupId: 'g-durable', topic: 'durable', partitions: [{ partition: 0, offset: 2 }] });
    await f.restart();
    await produce(client, 'durable', ['r4']);
    const c2 = client.consumer({ groupId: 'g-durable', ...FAST });
    c2.subscribe({ topic: 'durable', fromBeginning: true });
    const got2 = runRecording(c2);
    await eventually(() => got2.length === 3, 10_000, 'the records after the committed offset');
    assert.deepEqual(
      got2.map((m) => m.offset),
      [2, 3, 4],
    );
    // A live member carries on across a restart: the broker forgot it (UNKNOWN_MEMBER_ID), it joins again.
    await eventually(() => c2.assignment().length === 1, 10_000, 'c2 owns the partition');
    await c2.commitOffsets([{ topic: 'durable', partition: 0, offset: 5 }]);
    await f.restart();
    await produce(client, 'durable', ['r5']);
    await eventually(() => got2.some((m) => m.offset === 5), 15_000, 'r5 after the restart');
    await c2.disconnect();
  }

  it('argument checks: group-only calls, subscribe before run, no iteration of a group consumer', async () => {
    const plain = client.consumer();
    assert.throws(() => plain.subscribe({ topic: 'x' }), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(plain.commitOffsets([{ topic: 'x', partition: 0, offset: 1 }]), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => client.consumer({ groupId: '' }), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => client.consumer({ groupId: 'g', assignor: 'fair' as never }), { code: 'INVALID_ARGUMENT' });
    const g = client.consumer({ groupId: 'g-args' });
    assert.throws(() => g.run({ eachMessage: async () => {} }), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => g.assign([{ topic: 'x', partition: 0, offset: 0 }]), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => g[Symbol.asyncIterator](), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => g.subscribe({}), { code: 'INVALID_ARGUMENT' });
    assert.throws(() => g.on('rebalance' as never, () => {}), { code: 'INVALID_ARGUMENT' });
    await assert.rejects(g.commitOffsets([{ topic: 'x', partition: 0, offset: -1 }]), { code: 'INVALID_ARGUMENT' });
    await plain.disconnect();
    await g.disconnect();
  });

  it('eachBatch in a group: resolved offsets are committed by commitOffsetsIfNecessary', async () => {
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 'batches', numPartitions: 1 }] });
    await produce(client, 'batches', ['b0', 'b1', 'b2', 'b3']);
    const c = client.consumer({ groupId: 'g-batch', ...FAST });
    c.subscribe({ topic: 'batches', fromBeginning: true });
    let handled = 0;
    void c.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, commitOffsetsIfNecessary }) => {
        for (const m of batch.messages) {
          if (m.offset >= 3) break; // b3 stays unprocessed
          resolveOffset(m.offset);
          handled++;
        }
        await commitOffsetsIfNecessary();
      },
    });
    await waitFor(
      async () => (await admin.fetchOffsets({ groupId: 'g-batch', topics: ['batches'] }))[0]!.partitions[0]!.offset === 3,
      10_000,
      'offset 3 committed',
    );
    assert.ok(handled >= 3);
    await c.disconnect();
  });

  it('a handler that keeps failing ends run() and the member leaves the group', async () => {
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 'fails', numPartitions: 1 }] });
    await produce(client, 'fails', ['boom']);
    const c = client.consumer({ groupId: 'g-fails', ...FAST, retry: { retries: 1, initialRetryTimeMs: 10 } });
    c.subscribe({ topic: 'fails', fromBeginning: true });
    await assert.rejects(
      c.run({
        eachMessage: async () => {
          throw new Error('handler bug');
        },
      }),
      /handler bug/,
    );
    await waitFor(async () => (await admin.describeGroups(['g-fails'])).groups[0]!.members.length === 0, 10_000, 'the member left');
    const committed = await admin.fetchOffsets({ groupId: 'g-fails', topics: ['fails'] });
    assert.equal(committed[0]!.partitions[0]!.offset, 0, 'the failed record is the next to read');
  });

  it('refuses to set offsets while the group has members; list, describe, reset, delete', async () => {
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 'adm', numPartitions: 3 }] });
    await produce(client, 'adm', ['x', 'y']);
    const c = client.consumer({ groupId: 'g-adm', ...FAST });
    c.subscribe({ topic: 'adm', fromBeginning: true });
    const got = runRecording(c);
    await eventually(() => got.length === 2, 10_000, 'two records');
    await assert.rejects(admin.resetOffsets({ groupId: 'g-adm', topic: 'adm', earliest: true }), { code: 'NON_EMPTY_GROUP' });
    await assert.rejects(admin.deleteGroups(['g-adm']), { code: 'NON_EMPTY_GROUP' });
    const { groups } = await admin.listGroups();
    assert.ok(groups.some((g) => g.groupId === 'g-adm' && g.protocolType === 'consumer'));
    await eventually(() => c.assignment().length === 3, 10_000, 'three partitions');
    const described = (await admin.describeGroups(['g-adm', 'nope'])).groups;
    assert.equal(described[0]!.state, 'Stable');
    assert.equal(described[0]!.members.length, 1);
    assert.deepEqual(described[0]!.members[0]!.assignment, [{ topic: 'adm', partitions: [0, 1, 2] }]);
    assert.equal(described[1]!.state, 'Dead');
    await c.disconnect();
    await admin.resetOffsets({ groupId: 'g-adm', topic: 'adm', earliest: true });
    const reset = await admin.fetchOffsets({ groupId: 'g-adm', topics: ['adm'] });
    assert.deepEqual(
      reset[0]!.partitions.map((p) => p.offset),
      [0, 0, 0],
    );
    await admin.deleteGroups(['g-adm']);
    assert.ok(!(await admin.listGroups()).groups.some((g) => g.groupId === 'g-adm'));
  });

  it('a regex subscription picks up a topic created later', async () => {
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 'ev-a', numPartitions: 1 }] });
    const c = client.consumer({ groupId: 'g-regex', ...FAST });
    c.subscribe({ pattern: /ev-.*/, fromBeginning: true });
    const assigned: string[] = [];
    c.on('partitions.assigned', (ps) => void assigned.push(...ps.map((p) => `${p.topic}/${p.partition}`)));
    const got = runRecording(c);
    await eventually(() => assigned.includes('ev-a/0'), 10_000, 'ev-a assigned');
    await admin.createTopics({ topics: [{ topic: 'ev-b', numPartitions: 2 }] });
    await admin.createTopics({ topics: [{ topic: 'other', numPartitions: 1 }] });
    await produce(client, 'ev-b', ['b0'], 1);
    await produce(client, 'other', ['o0']);
    await eventually(() => got.length === 1, 10_000, 'the record of the new topic');
    assert.equal(text(got[0]!.value), 'b0');
    assert.deepEqual(assigned.sort(), ['ev-a/0', 'ev-b/0', 'ev-b/1']);
    await c.disconnect();
  });

  it("a fenced member's commit is rejected, and the member joins again", async () => {
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 'fence', numPartitions: 1 }] });
    await produce(client, 'fence', ['f0', 'f1']);
    const net = cuttable();
    const own = f.client({ socketFactory: net.factory } as Partial<RivuletConfig>);
    const c = own.consumer({ groupId: 'g-fence', ...FAST });
    c.subscribe({ topic: 'fence', fromBeginning: true });
    const lost: string[] = [];
    c.on('partitions.lost', (ps) => void lost.push(...ps.map((p) => `${p.topic}/${p.partition}`)));
    const got = runRecording(c);
    await eventually(() => got.length === 2, 10_000, 'two records');
    await c.commitOffsets([{ topic: 'fence', partition: 0, offset: 1 }]);
    net.dropHeartbeats.on = true; // the broker hears nothing: after its session timeout the member is gone
    await waitFor(async () => (await admin.describeGroups(['g-fence'])).groups[0]!.members.length === 0, 10_000, 'removal');
    await assert.rejects(c.commitOffsets([{ topic: 'fence', partition: 0, offset: 2 }]), { code: 'UNKNOWN_MEMBER_ID' });
    const committed = await admin.fetchOffsets({ groupId: 'g-fence', topics: ['fence'] });
    assert.equal(committed[0]!.partitions[0]!.offset, 1);
    await eventually(() => lost.includes('fence/0'), 10_000, 'partitions.lost');
    net.dropHeartbeats.on = false;
    await waitFor(async () => (await admin.describeGroups(['g-fence'])).groups[0]!.members.length === 1, 10_000, 'rejoin');
    await eventually(() => got.length === 3, 10_000, 'the record after the committed offset again');
    assert.equal(got[2]!.offset, 1);
    await c.disconnect();
  });

  it("a static member's restart moves nothing", async () => {
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 'static', numPartitions: 4 }] });
    const events: string[] = [];
    const a1 = client.consumer({ groupId: 'g-static', groupInstanceId: 'a', ...FAST });
    const b = client.consumer({ groupId: 'g-static', groupInstanceId: 'b', ...FAST });
    for (const [name, c] of [
      ['a1', a1],
      ['b', b],
    ] as const) {
      c.subscribe({ topic: 'static' });
      c.on('partitions.assigned', (ps) => void events.push(`${name}+${ps.map((p) => p.partition).join(',')}`));
      c.on('partitions.revoked', (ps) => void events.push(`${name}-${ps.map((p) => p.partition).join(',')}`));
      runRecording(c);
    }
    await eventually(() => a1.assignment().length === 2 && b.assignment().length === 2, 10_000, 'two and two');
    const aOwned = a1
      .assignment()
      .map((p) => p.partition)
      .sort();
    const before = events.length;
    await a1.disconnect();
    const a2 = client.consumer({ groupId: 'g-static', groupInstanceId: 'a', ...FAST });
    a2.subscribe({ topic: 'static' });
    a2.on('partitions.assigned', (ps) => void events.push(`a2+${ps.map((p) => p.partition).join(',')}`));
    runRecording(a2);
    await eventually(() => a2.assignment().length === 2, 10_000, 'a2 gets the partitions');
    await sleep(300); // heartbeats go on: nothing else must move
    assert.deepEqual(
      a2
        .assignment()
        .map((p) => p.partition)
        .sort(),
      aOwned,
    );
    // a1 gave its partitions up on disconnect; b saw nothing; a2 got exactly a1's partitions.
    assert.deepEqual(events.slice(before), [`a1-${aOwned.join(',')}`, `a2+${aOwned.join(',')}`]);
    await Promise.all([a2.disconnect(), b.disconnect()]);
  });

  it('a handler slower than maxPollIntervalMs makes the member leave, and it comes back when the handler returns', async () => {
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: 'slow', numPartitions: 1 }] });
    await produce(client, 'slow', ['s0', 's1']);
    const c = client.consumer({ groupId: 'g-slow', ...FAST, maxPollIntervalMs: 300 });
    c.subscribe({ topic: 'slow', fromBeginning: true });
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const lost: number[] = [];
    c.on('partitions.lost', (ps) => void lost.push(ps.length));
    const seen: number[] = [];
    void c.run({
      eachMessage: async ({ message }) => {
        seen.push(message.offset);
        if (seen.length === 1) await gate;
      },
    });
    await eventually(() => seen.length === 1, 10_000, 'the first record');
    await waitFor(async () => (await admin.describeGroups(['g-slow'])).groups[0]!.members.length === 0, 10_000, 'the member left');
    release();
    await waitFor(async () => (await admin.describeGroups(['g-slow'])).groups[0]!.members.length === 1, 10_000, 'back in');
    await eventually(() => seen.length >= 3, 10_000, 'records again');
    assert.deepEqual(lost, [1]);
    // Nothing was committed while it was stuck: the first record comes again (at least once).
    assert.deepEqual(seen.slice(0, 3), [0, 0, 1]);
    await c.disconnect();
  });
});

async function waitFor(cond: () => Promise<boolean>, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
