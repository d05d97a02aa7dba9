import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { PRODUCER_STATE_FILE } from '../../src/broker/producer-state.js';
import { ApiKeys } from '../../src/protocol/api.js';
import { ErrorCodes } from '../../src/protocol/error-codes.js';
import { type Harness, startBroker } from './helpers/fixture.js';
import { batchOf, type RawClient, valueText } from './helpers/raw-client.js';

async function initProducer(
  c: RawClient,
  producerId = -1,
  producerEpoch = -1,
): Promise<{ producerId: number; producerEpoch: number }> {
  const r = await c.request(ApiKeys.InitProducerId, { producerId, producerEpoch });
  assert.equal(r.errorCode, 0, JSON.stringify(r.body));
  return r.body;
}

function idempotent(values: string[], producerId: number, producerEpoch: number, baseSequence: number): Uint8Array {
  return batchOf(values, { producerId, producerEpoch, baseSequence });
}

describe('idempotent produce', () => {
  let h: Harness;
  before(async () => {
    h = await startBroker();
  });
  after(() => h.stop());

  it('InitProducerId hands out distinct ids at epoch 0', async () => {
    const a = await initProducer(h.client);
    const b = await initProducer(h.client);
    assert.equal(a.producerEpoch, 0);
    assert.notEqual(a.producerId, b.producerId);
  });

  it('a retried batch is acknowledged with its original offset and not written again', async () => {
    await h.client.createTopic('idem');
    const { producerId, producerEpoch } = await initProducer(h.client);
    await h.client.produceOne('idem', 0, batchOf(['plain']), -1);
    const first = idempotent(['a', 'b'], producerId, producerEpoch, 0);
    const r1 = await h.client.produceOne('idem', 0, first, -1);
    assert.equal(r1.baseOffset, 1);
    const r2 = await h.client.produceOne('idem', 0, idempotent(['c'], producerId, producerEpoch, 2), -1);
    assert.equal(r2.baseOffset, 3);
    const retry = await h.client.produceOne('idem', 0, first, 1);
    assert.equal(retry.errorCode, 0);
    assert.equal(retry.baseOffset, 1, 'the original offset');
    assert.deepEqual((await h.client.readAll('idem', 0)).map(valueText), ['plain', 'a', 'b', 'c'], 'no duplicate');
  });

  it('a sequence gap is OUT_OF_ORDER_SEQUENCE_NUMBER with the expected sequence, nothing appended', async () => {
    await h.client.createTopic('gap');
    const { producerId, producerEpoch } = await initProducer(h.client);
    await h.client.produceOne('gap', 0, idempotent(['0', '1'], producerId, producerEpoch, 0), -1);
    const r = await h.client.produceOne('gap', 0, idempotent(['5'], producerId, producerEpoch, 5), -1);
    assert.equal(r.errorCode, ErrorCodes.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal(r.details?.expectedSequence, 2);
    assert.equal(await h.client.logEndOffset('gap', 0), 2);
    assert.equal(
      (await h.client.produceOne('gap', 0, idempotent(['2'], producerId, producerEpoch, 2), -1)).errorCode,
      0,
    );
  });

  it('a bumped epoch fences the old one (INVALID_PRODUCER_EPOCH); the new epoch starts at sequence 0', async () => {
    await h.client.createTopic('fence');
    const { producerId } = await initProducer(h.client);
    await h.client.produceOne('fence', 0, idempotent(['e0'], producerId, 0, 0), -1);
    const bumped = await initProducer(h.client, producerId, 0);
    assert.deepEqual(bumped, { producerId, producerEpoch: 1 });
    const zombie = await h.client.produceOne('fence', 0, idempotent(['zombie'], producerId, 0, 1), -1);
    assert.equal(zombie.errorCode, ErrorCodes.INVALID_PRODUCER_EPOCH);
    const notZero = await h.client.produceOne('fence', 0, idempotent(['e1'], producerId, 1, 3), -1);
    assert.equal(notZero.errorCode, ErrorCodes.OUT_OF_ORDER_SEQUENCE_NUMBER);
    assert.equal((await h.client.produceOne('fence', 0, idempotent(['e1'], producerId, 1, 0), -1)).errorCode, 0);
    const stale = await h.client.request(ApiKeys.InitProducerId, { producerId, producerEpoch: 0 });
    assert.equal(stale.errorCode, ErrorCodes.INVALID_PRODUCER_EPOCH);
    const unknown = await h.client.request(ApiKeys.InitProducerId, { producerId: 1e9, producerEpoch: 0 });
    assert.equal(unknown.errorCode, ErrorCodes.UNKNOWN_PRODUCER_ID);
  });

  it('refuses transactional producers', async () => {
    const r = await h.client.request(ApiKeys.InitProducerId, { transactionalId: 'tx' });
    assert.equal(r.errorCode, ErrorCodes.INVALID_REQUEST);
  });
});

describe('producer state across restarts', () => {
  for (const withSnapshot of [true, false]) {
    it(`a retry after a restart is still recognised (${withSnapshot ? 'snapshot + tail scan' : 'full log scan'})`, async () => {
      const h = await startBroker();
      try {
        await h.client.createTopic('survive');
        const { producerId, producerEpoch } = await initProducer(h.client);
        const batches = [0, 1, 2].map((i) => idempotent([`s${i}`], producerId, producerEpoch, i));
        for (const b of batches) await h.client.produceOne('survive', 0, b, -1);
        await h.client.produceOne('survive', 0, batchOf(['noise']), -1);
        if (withSnapshot) {
          await h.restart();
          const snapshot = readFileSync(join(h.dataDir, PRODUCER_STATE_FILE));
          // More after the snapshot, then the old snapshot back (as after a crash): the tail scan must see it.
          await h.client.produceOne('survive', 0, idempotent(['s3'], producerId, producerEpoch, 3), -1);
          await h.broker.close();
          writeFileSync(join(h.dataDir, PRODUCER_STATE_FILE), snapshot);
          await h.restart();
        } else {
          await h.broker.close();
          rmSync(join(h.dataDir, PRODUCER_STATE_FILE));
          await h.restart();
          await h.client.produceOne('survive', 0, idempotent(['s3'], producerId, producerEpoch, 3), -1);
        }
        const retry = await h.client.produceOne('survive', 0, batches[2]!, -1);
        assert.equal(retry.errorCode, 0);
        assert.equal(retry.baseOffset, 2);
        const gap = await h.client.produceOne('survive', 0, idempotent(['s9'], producerId, producerEpoch, 9), -1);
        assert.equal(gap.errorCode, ErrorCodes.OUT_OF_ORDER_SEQUENCE_NUMBER);
        assert.equal(gap.details?.expectedSequence, 4);
        assert.deepEqual((await h.client.readAll('survive', 0)).map(valueText), ['s0', 's1', 's2', 'noise', 's3']);
        // The old epoch is still fenced after a bump and a restart.
        await initProducer(h.client, producerId, producerEpoch);
        await h.client.produceOne('survive', 0, idempotent(['n0'], producerId, producerEpoch + 1, 0), -1);
        await h.restart();
        const zombie = await h.client.produceOne('survive', 0, idempotent(['z'], producerId, producerEpoch, 4), -1);
        assert.equal(zombie.errorCode, ErrorCodes.INVALID_PRODUCER_EPOCH);
      } finally {
        await h.stop();
      }
    });
  }

  it('producer ids never repeat across restarts', async () => {
    const h = await startBroker();
    try {
      const before = new Set<number>();
      for (let i = 0; i < 3; i++) before.add((await initProducer(h.client)).producerId);
      await h.restart();
      for (let i = 0; i < 3; i++) {
        const id = (await initProducer(h.client)).producerId;
        assert.ok(!before.has(id), `id ${id} was given before the restart`);
        assert.ok(id > Math.max(...before));
      }
    } finally {
      await h.stop();
    }
  });
});
