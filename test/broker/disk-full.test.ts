import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ErrorCodes } from '../../src/protocol/error-codes.js';
import { startBroker, tempDir } from './helpers/fixture.js';
import { batchOf } from './helpers/raw-client.js';

/** Mounts a small tmpfs; returns why not when the machine does not allow it. */
function mountTmpfs(dir: string, size: string): string | null {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
    return null;
  } catch (err) {
    return `cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]}): needs root or CAP_SYS_ADMIN`;
  }
}

describe('full disk', () => {
  it('produce gets KAFKA_STORAGE_ERROR while fetching existing data still works', async (t) => {
    const dir = tempDir('rivulet-full-');
    const why = mountTmpfs(dir, '4m');
    if (why !== null) {
      rmSync(dir, { recursive: true, force: true });
      t.skip(why);
      return;
    }
    try {
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
    } finally {
      execFileSync('umount', ['-l', dir]);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
