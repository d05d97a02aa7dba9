/**
 * Regression: a member waited its own default heartbeat interval once after the broker had told
 * it a shorter one, so every join took the client default (3 s) to settle. Heartbeat request
 * times are read through the connection hooks; the check compares the gaps with the two
 * configured intervals (30× apart), not with a wall-clock budget.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ApiKeys } from '../../src/protocol/api.js';
import { eventually, type Fixture, startBroker } from './fixture.js';

const BROKER_INTERVAL_MS = 100;
const CLIENT_INTERVAL_MS = 3_000;

describe('group heartbeat interval', () => {
  let f: Fixture;
  before(async () => {
    f = await startBroker({ groupHeartbeatIntervalMs: BROKER_INTERVAL_MS, groupSessionTimeoutMs: 10_000 });
  });
  after(async () => f.stop());

  it("a member that joins with nothing to take yet uses the broker's interval from its second heartbeat on", async () => {
    await f.client().admin().createTopics({ topics: [{ topic: 'hb', numPartitions: 2 }] });
    // The first member takes both partitions, so the second one's first answer assigns it nothing
    // (nothing is released yet) and nothing wakes its heartbeat loop early.
    const first = f.client().consumer({ groupId: 'hb-group', heartbeatIntervalMs: CLIENT_INTERVAL_MS, maxWaitMs: 100 });
    let firstOwned = 0;
    first.on('partitions.assigned', (parts) => {
      firstOwned += parts.length;
    });
    first.subscribe({ topics: ['hb'] });
    void first.run({ eachMessage: async () => {} });
    await eventually(() => firstOwned === 2, 15_000, 'the first member to own both partitions');

    const sent: number[] = [];
    const client = f.client({
      hooks: {
        onRequest: (info) => {
          if (info.apiKey === ApiKeys.ConsumerGroupHeartbeat) sent.push(performance.now());
        },
      },
    });
    const second = client.consumer({ groupId: 'hb-group', heartbeatIntervalMs: CLIENT_INTERVAL_MS, maxWaitMs: 100 });
    second.subscribe({ topics: ['hb'] });
    void second.run({ eachMessage: async () => {} });
    await eventually(() => sent.length >= 3, 15_000, 'three heartbeats');
    await Promise.all([second.disconnect(), first.disconnect()]);
    const gaps = sent.slice(1, 3).map((t, i) => t - sent[i]!);
    for (const gap of gaps) {
      assert.ok(gap < CLIENT_INTERVAL_MS / 2, `heartbeat gaps ${gaps.map((g) => g.toFixed(0)).join(', ')} ms`);
    }
  });
});
