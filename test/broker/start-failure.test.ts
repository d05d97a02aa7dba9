/** A broker that cannot start lets go of everything it took: the data dir's lock above all. */
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import { Broker } from '../../src/broker/broker.js';
import { startBroker, tempDir } from './helpers/fixture.js';

test('a broker whose port is taken fails to start and releases its data dir', async () => {
  const h = await startBroker();
  const dataDir = tempDir();
  try {
    await assert.rejects(Broker.start({ port: h.broker.port, dataDir, segmentBytes: 1 << 20 }));
    // Had the failed start kept the lock, this would fail with ELOCKED.
    const next = await Broker.start({ port: 0, dataDir, segmentBytes: 1 << 20 });
    assert.ok(next.port > 0 && next.port !== h.broker.port);
    await next.close();
  } finally {
    await h.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
