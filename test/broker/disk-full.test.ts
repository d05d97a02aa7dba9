import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCodes } from '../../src/protocol/error-codes.js';
import { smallFs } from '../helpers/small-fs.js';
import { startBroker } from './helpers/fixture.js';
import { batchOf } from './helpers/raw-client.js';

describe('full disk', () => {
  it('produce gets KAFKA_STORAGE_ERROR while fetching existing data still works', async (t) => {
    const dir = smallFs(t, '4m', 'rivulet-full-');
    if (dir === undefined) return;
    const h = await startBroker({ dataDir: dir, segmentBytes: 256 * 1024 });
    try {
      const created = await h.client.createTopic('fill', 1, [{ name: 'segment.index.bytes', value: '4096' }]);
      assert.equal(created.body.topics[0].errorCode, 0);
      const value = 'f'.repeat(60 * 1024);
      let acked = 0;
      let storageError: { errorCode: number; errorMessage: string | null } | null = null;
      for (let i = 0; i < 200 && storageError === null; i++) {
        const r = await h.client.produceOne('fill', 0, batchOf([value]), -1);
        if (r.errorCode === 0) acked++;
        else storageError = r;
      }
      assert.ok(storageError !== null, 'the disk filled up');
      assert.equal(storageError.errorCode, ErrorCodes.KAFKA_STORAGE_ERROR, storageError.errorMessage ?? '');
      assert.ok(acked > 0);
      // Reads go on, for this client and another.
      assert.equal((await h.client.readAll('fill', 0)).length, acked);
      const other = await h.connect();
      assert.equal((await other.fetchRecords('fill', 0, 0)).length > 0, true);
      assert.equal(await other.logEndOffset('fill', 0), acked);
      // Still refused, not crashed.
      const again = await other.produceOne('fill', 0, batchOf([value]), 1);
      assert.equal(again.errorCode, ErrorCodes.KAFKA_STORAGE_ERROR);
    } finally {
      await h.stop();
    }
  });
});
