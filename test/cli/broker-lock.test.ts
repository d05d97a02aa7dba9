/** `rivulet broker` refuses a data directory another broker holds: a message and exit 1, no stack. */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { rivulet, spawnRivulet } from './helpers.js';

describe('rivulet broker: data directory lock', () => {
  it('a second broker on the same data dir exits 1 saying the dir is in use; the first runs on', async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'rivulet-cli-lock-'));
    const first = spawnRivulet(['broker', '--data-dir', dataDir, '--port', '0']);
    const exited = once(first, 'exit');
    t.after(async () => {
      first.kill('SIGKILL'); // only if an assertion failed before it was stopped
      await exited;
      await rm(dataDir, { recursive: true, force: true });
    });
    let out = '';
    await new Promise<void>((resolve, reject) => {
      first.stdout.on('data', (d) => {
        out += d;
        if (/rivulet broker listening on ws:\/\//.test(out)) resolve();
      });
      first.stderr.on('data', (d) => process.stderr.write(d));
      void exited.then(([code]) => reject(new Error(`the first broker exited (${code}) before listening: ${out}`)));
    });

    const second = await rivulet(['broker', '--data-dir', dataDir, '--port', '0']);
    assert.equal(second.code, 1, second.stderr);
    assert.match(second.stderr, /^error: cannot start the broker: /);
    assert.ok(
      second.stderr.includes(
        `data directory ${dataDir} is in use by another Rivulet process (lock ${join(dataDir, '.lock')})`,
      ),
      second.stderr,
    );
    assert.doesNotMatch(second.stderr, /\n\s+at /, 'no stack trace');
    assert.doesNotMatch(second.stdout, /listening/);

    first.kill('SIGTERM');
    const [code] = await exited;
    assert.equal(code, 0, 'the first broker was left alone and shuts down cleanly');
  });
});
