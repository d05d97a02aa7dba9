import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GroupCoordinator } from '../../src/group/coordinator.js';
import { lag } from '../../src/group/lag.js';
import {
  decodeOffsetBatches,
  decodeOffsetRecord,
  encodeOffsetBatch,
  encodeOffsetKey,
  encodeOffsetValue,
} from '../../src/group/offset-record.js';
import { type OffsetLog, OffsetStore } from '../../src/group/offset-store.js';
import { RivuletError } from '../../src/errors.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import type { OffsetCommitRequest } from '../../src/protocol/apis/offset-commit.js';
import { ManualScheduler, MemoryOffsetLog } from './helpers.js';
import { SimMember, settle } from './sim.js';

const DAY = 24 * 60 * 60 * 1000;
const G = 'g1';

function commitReq(
  memberId: string,
  memberEpoch: number,
  parts: [string, number, number][],
  groupId = G,
): OffsetCommitRequest {
  const byTopic = new Map<string, { index: number; committedOffset: number; committedMetadata: string | null }[]>();
  for (const [t, index, committedOffset] of parts) {
    if (!byTopic.has(t)) byTopic.set(t, []);
    byTopic.get(t)!.push({ index, committedOffset, committedMetadata: null });
  }
  return {
    groupId,
    memberId,
    memberEpoch,
    groupInstanceId: null,
    topics: [...byTopic].map(([name, partitions]) => ({ name, partitions })),
  };
}

async function rejects(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    assert.ok(err instanceof RivuletError, String(err));
    return err.code;
  }
  return 'NONE';
}

function errorsOf(res: Awaited<ReturnType<GroupCoordinator['commitOffsets']>>): string[] {
  return res.topics.flatMap((t) => t.partitions.map((p) => `${t.name}-${p.index}:${p.errorCode}`));
}

describe('offset records', () => {
  test('round trip through a RecordBatch, tombstones included', () => {
    const batch = encodeOffsetBatch(
      [
        { groupId: 'g', topic: 't', partition: 3, value: { offset: 2 ** 40, metadata: 'mé', commitTimestamp: 17 } },
        { groupId: 'g', topic: 't', partition: 4, value: null },
      ],
      17,
    );
    assert.deepEqual(decodeOffsetBatches(batch), [
      { groupId: 'g', topic: 't', partition: 3, value: { offset: 2 ** 40, metadata: 'mé', commitTimestamp: 17 } },
      { groupId: 'g', topic: 't', partition: 4, value: null },
    ]);
  });

  test('the same (group, topic, partition) always gives the same key bytes (compaction keys on them)', () => {
    assert.deepEqual(encodeOffsetKey('g', 't', 1), encodeOffsetKey('g', 't', 1));
    assert.notDeepEqual(encodeOffsetKey('g', 't', 1), encodeOffsetKey('g', 't', 2));
  });

  test('a key of another kind is skipped; a malformed offset record is CORRUPT_MESSAGE', async () => {
    const { Packr } = await import('msgpackr');
    const packr = new Packr({ useRecords: false });
    assert.equal(decodeOffsetRecord(packr.pack([2, 'g']), packr.pack({ any: 1 })), null);
    const key = encodeOffsetKey('g', 't', 0);
    assert.throws(() => decodeOffsetRecord(key, packr.pack({ offset: -1, commitTimestamp: 0 })), {
      code: 'CORRUPT_MESSAGE',
    });
    assert.throws(() => decodeOffsetRecord(packr.pack(['x']), null), { code: 'CORRUPT_MESSAGE' });
    assert.throws(() => decodeOffsetRecord(null, encodeOffsetValue({ offset: 1, metadata: '', commitTimestamp: 0 })), {
      code: 'CORRUPT_MESSAGE',
    });
    const other = encodeRecordBatch([{ key: packr.pack([9, 'future']), value: packr.pack({}) }], { timestamp: 0 });
    assert.deepEqual(decodeOffsetBatches(other), []);
  });
});

describe('offset store', () => {
  test('replay restores the latest offset of each partition; tombstones delete', async () => {
    const log = new MemoryOffsetLog();
    const store = new OffsetStore(log);
    await store.commit('g', [{ topic: 't', partition: 0, offset: 5, metadata: 'a' }], 1000);
    await store.commit(
      'g',
      [
        { topic: 't', partition: 0, offset: 9, metadata: 'b' },
        { topic: 't', partition: 1, offset: 3, metadata: '' },
      ],
      2000,
    );
    await store.commit('h', [{ topic: 'u', partition: 0, offset: 1, metadata: '' }], 3000);
    await store.deleteGroup('h', 4000);

    const again = new OffsetStore(log);
    assert.equal(await again.load(), 5);
    assert.deepEqual(again.offsets('g'), [
      { topic: 't', partition: 0, offset: 9, metadata: 'b', commitTimestamp: 2000 },
      { topic: 't', partition: 1, offset: 3, metadata: '', commitTimestamp: 2000 },
    ]);
    assert.equal(again.hasGroup('h'), false);
    assert.deepEqual(again.groupIds(), ['g']);
  });

  test('replay from an async log, several batches per chunk', async () => {
    const log = new MemoryOffsetLog();
    const store = new OffsetStore(log);
    for (let i = 0; i < 3; i++) await store.commit('g', [{ topic: 't', partition: i, offset: i, metadata: '' }], i);
    const joined = Buffer.concat(log.batches);
    const asyncLog: OffsetLog = {
      append() {},
      async *replay() {
        yield joined;
      },
    };
    const again = new OffsetStore(asyncLog);
    assert.equal(await again.load(), 3);
    assert.equal(again.get('g', 't', 2)?.offset, 2);
  });

  test('commits are applied in log order even when appends settle out of order', async () => {
    const waiting: (() => void)[] = [];
    const log: OffsetLog = {
      append: () => new Promise<void>((resolve) => waiting.push(resolve)),
      replay: () => [],
    };
    const store = new OffsetStore(log);
    const first = store.commit('g', [{ topic: 't', partition: 0, offset: 1, metadata: '' }], 1);
    const second = store.commit('g', [{ topic: 't', partition: 0, offset: 2, metadata: '' }], 2);
    waiting[1]!();
    await new Promise((r) => setImmediate(r));
    assert.equal(store.get('g', 't', 0), undefined, 'the second waits for the first');
    waiting[0]!();
    await Promise.all([first, second]);
    assert.equal(store.get('g', 't', 0)?.offset, 2);
  });

  test('a failed append is KAFKA_STORAGE_ERROR and changes nothing', async () => {
    const log: OffsetLog = {
      append: () => Promise.reject(new Error('ENOSPC')),
      replay: () => [],
    };
    const store = new OffsetStore(log);
    assert.equal(
      await rejects(store.commit('g', [{ topic: 't', partition: 0, offset: 1, metadata: '' }], 1)),
      'KAFKA_STORAGE_ERROR',
    );
    assert.equal(store.hasGroup('g'), false);
    const throwing = new OffsetStore({
      append: () => {
        throw new Error('EIO');
      },
      replay: () => [],
    });
    assert.equal(
      await rejects(throwing.commit('g', [{ topic: 't', partition: 0, offset: 1, metadata: '' }], 1)),
      'KAFKA_STORAGE_ERROR',
    );
  });

  test('expiry: offsets of an empty group go retention after the later of commit and emptiness', async () => {
    const log = new MemoryOffsetLog();
    const store = new OffsetStore(log, 7 * DAY);
    await store.commit('g', [{ topic: 't', partition: 0, offset: 1, metadata: '' }], 0);
    await store.commit('g', [{ topic: 't', partition: 1, offset: 1, metadata: '' }], 2 * DAY);
    await store.commit('active', [{ topic: 't', partition: 0, offset: 1, metadata: '' }], 0);
    const emptySince = (g: string) => (g === 'active' ? null : 1 * DAY);
    assert.equal(await store.expire(7 * DAY, emptySince), 0);
    assert.equal(await store.expire(8 * DAY, emptySince), 1, 't-0: empty since day 1');
    assert.equal(store.get('g', 't', 0), undefined);
    assert.equal(await store.expire(9 * DAY, emptySince), 1, 't-1: committed on day 2');
    assert.equal(await store.expire(100 * DAY, emptySince), 0, 'a group with members keeps its offsets');
    const again = new OffsetStore(log);
    await again.load();
    assert.deepEqual(again.groupIds(), ['active']);
  });
});

describe('coordinator: offset commit and fetch', () => {
  function setup(sessionTimeoutMs = 45_000) {
    const clock = new ManualScheduler(0);
    let n = 0;
    const log = new MemoryOffsetLog();
    const coord = new GroupCoordinator({
      offsetLog: log,
      scheduler: clock,
      topics: { t: 2 },
      newMemberId: () => `m${++n}`,
      offsetsRetentionCheckIntervalMs: 60 * 60 * 1000,
      sessionTimeoutMs,
    });
    return { clock, coord, log };
  }

  test('a member commits and fetches; a fresh coordinator replays the offsets', async () => {
    const { coord, log } = setup();
    await coord.start();
    const a = new SimMember(coord, G, { topics: ['t'] });
    a.heartbeat();
    const res = await coord.commitOffsets(commitReq(a.memberId, a.epoch, [['t', 0, 42]]));
    assert.deepEqual(errorsOf(res), ['t-0:0']);
    const fetched = coord.fetchOffsets({ groupId: G, memberId: a.memberId, memberEpoch: a.epoch, topics: null });
    assert.deepEqual(fetched.topics, [
      {
        name: 't',
        partitions: [
          { index: 0, committedOffset: 42, metadata: '', commitTimestamp: 0, errorCode: 0, errorMessage: null },
        ],
      },
    ]);
    const restarted = new GroupCoordinator({ offsetLog: log, scheduler: new ManualScheduler(0), topics: { t: 2 } });
    await restarted.start();
    const again = restarted.fetchOffsets({
      groupId: G,
      memberId: '',
      memberEpoch: -1,
      topics: [{ name: 't', partitionIndexes: [0, 1] }],
    });
    assert.deepEqual(
      again.topics[0]!.partitions.map((p) => p.committedOffset),
      [42, -1],
    );
    restarted.close();
    coord.close();
  });

  test("a fenced member's commit is rejected", async () => {
    const { coord, clock } = setup();
    const a = new SimMember(coord, G, { topics: ['t'] });
    a.heartbeat();
    const b = new SimMember(coord, G, { topics: ['t'] });
    settle(coord, G, [a, b]);
    const [aEpochNow, aHas] = [a.epoch, [...a.owned.get('t')!]];
    const lost = aHas[0] === 0 ? 1 : 0;

    // Newer than the broker's epoch: a zombie from the future.
    assert.equal(
      await rejects(coord.commitOffsets(commitReq(a.memberId, aEpochNow + 1, [['t', aHas[0]!, 1]]))),
      'FENCED_MEMBER_EPOCH',
    );
    // The old epoch: fine for the partition it still has, stale (113) for the one it lost.
    const mixed = await coord.commitOffsets(
      commitReq(a.memberId, 1, [
        ['t', aHas[0]!, 1],
        ['t', lost, 1],
      ]),
    );
    assert.deepEqual(errorsOf(mixed).sort(), [`t-${aHas[0]}:0`, `t-${lost}:113`].sort());
    assert.equal(coord.offsets.get(G, 't', lost), undefined);
    // Removed from the group (its session timed out while b kept heartbeating): unknown.
    for (let t = 0; t < 45_000; t += 5_000) {
      clock.advance(5_000);
      b.heartbeat();
    }
    assert.equal(coord.group(G)!.members.size, 1);
    assert.equal(
      await rejects(coord.commitOffsets(commitReq(a.memberId, a.epoch, [['t', 0, 1]]))),
      'UNKNOWN_MEMBER_ID',
    );
    // From outside the group while it has members.
    assert.equal(await rejects(coord.commitOffsets(commitReq('', -1, [['t', 0, 1]]))), 'UNKNOWN_MEMBER_ID');
    // Another instance id than the member's.
    assert.equal(
      await rejects(coord.commitOffsets({ ...commitReq(b.memberId, b.epoch, [['t', 0, 1]]), groupInstanceId: 'x' })),
      'FENCED_INSTANCE_ID',
    );
    const ok = await coord.commitOffsets(
      commitReq(b.memberId, b.epoch, [
        ['t', 0, 8],
        ['t', 1, 9],
      ]),
    );
    assert.deepEqual(errorsOf(ok), ['t-0:0', 't-1:0']);
  });

  test('per-partition validation: unknown partition, negative offset, oversized metadata', async () => {
    const { coord } = setup();
    const req = commitReq('', -1, [
      ['t', 0, 1],
      ['t', 2, 1],
      ['nope', 0, 1],
      ['t', 1, -5],
    ]);
    req.topics.push({ name: 't', partitions: [{ index: 0, committedOffset: 3, committedMetadata: 'é'.repeat(2049) }] });
    const res = await coord.commitOffsets(req);
    assert.deepEqual(errorsOf(res), ['t-0:0', 't-2:3', 't-1:42', 'nope-0:3', 't-0:12']);
    assert.equal(coord.offsets.get(G, 't', 0)?.offset, 1);
  });

  test('fetch checks the member: unknown, or an epoch from the future', async () => {
    const { coord } = setup();
    const a = new SimMember(coord, G, { topics: ['t'] });
    a.heartbeat();
    assert.throws(() => coord.fetchOffsets({ groupId: G, memberId: 'x', memberEpoch: 1, topics: null }), {
      code: 'UNKNOWN_MEMBER_ID',
    });
    assert.throws(() => coord.fetchOffsets({ groupId: G, memberId: a.memberId, memberEpoch: 9, topics: null }), {
      code: 'FENCED_MEMBER_EPOCH',
    });
    assert.throws(() => coord.fetchOffsets({ groupId: '', memberId: '', memberEpoch: -1, topics: null }), {
      code: 'INVALID_GROUP_ID',
    });
  });

  test('expiry runs on its timer: an empty group loses its offsets 7 days after it emptied', async () => {
    const { coord, clock } = setup(4 * DAY);
    await coord.start();
    const a = new SimMember(coord, G, { topics: ['t'] });
    a.heartbeat();
    await coord.commitOffsets(commitReq(a.memberId, a.epoch, [['t', 0, 10]]));
    clock.advance(3 * DAY); // the member stays (a long session), then leaves on day 3
    a.heartbeat();
    a.leave();
    clock.advance(7 * DAY - 60 * 60 * 1000);
    await new Promise((r) => setImmediate(r));
    assert.equal(coord.offsets.get(G, 't', 0)?.offset, 10, 'not yet: empty for less than 7 days');
    clock.advance(2 * 60 * 60 * 1000);
    await new Promise((r) => setImmediate(r));
    assert.equal(coord.offsets.get(G, 't', 0), undefined);
    assert.equal(coord.group(G), undefined, 'the group with neither members nor offsets is gone');
    coord.close();
    assert.equal(clock.pendingTimers, 0);
  });
});

describe('lag', () => {
  test('end minus committed, from the log start when nothing (or something deleted) is committed', () => {
    assert.equal(lag(40, 100), 60);
    assert.equal(lag(100, 100), 0);
    assert.equal(lag(120, 100), 0);
    assert.equal(lag(null, 100), 100);
    assert.equal(lag(-1, 100, 30), 70);
    assert.equal(lag(10, 100, 30), 70);
  });
});
