/**
 * The data directory lock (src/log/dir-lock.ts): one LogManager at a time per data dir, in this
 * process or any other, and no stale lock after the holder dies.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { RivuletError } from '../../src/errors.js';
import { DATA_DIR_LOCK_FILE } from '../../src/log/dir-lock.js';
import { LogManager } from '../../src/log/log-manager.js';
import { StorageError } from '../../src/log/storage-error.js';
import { tempDir } from '../helpers/tmp-dir.js';

const DIR_LOCK_MODULE = new URL('../../src/log/dir-lock.js', import.meta.url).href;

function recordingLogger() {
  const warnings: string[] = [];
  return { warnings, logger: { info() {}, warn: (m: string) => void warnings.push(m) } };
}

function openManager(dataDir: string, logger = recordingLogger().logger): LogManager {
  return LogManager.open({ dataDir, retentionCheckIntervalMs: 0, logger });
}

/** The error a LogManager gives when the data dir is locked by someone else. */
function locked(dataDir: string) {
  return (err: unknown) => {
    assert.ok(err instanceof RivuletError, `a RivuletError, got ${String(err)}`);
    assert.equal(err.code, 'KAFKA_STORAGE_ERROR');
    assert.equal(err.retriable, false);
    assert.equal(err.details?.storageCode, 'ELOCKED');
    assert.ok(err.cause instanceof StorageError && err.cause.code === 'ELOCKED');
    assert.equal(
      err.message.startsWith(
        `data directory ${dataDir} is in use by another Rivulet process (lock ${join(dataDir, '.lock')})`,
      ),
      true,
      err.message,
    );
    return true;
  };
}

describe('data directory lock', () => {
  test('a second LogManager on the same data dir fails with ELOCKED, naming the dir and the lock file', async (t) => {
    const dataDir = tempDir(t);
    const first = openManager(dataDir);
    t.after(() => first.close());
    first.createTopic('orders', 1);
    assert.throws(() => openManager(dataDir), locked(dataDir));
    assert.deepEqual(
      first.topics().map((x) => x.name),
      ['orders'],
      'the refused open touched nothing of the first',
    );
  });

  test('after the first LogManager closes, a second one opens the data dir and sees its topics', async (t) => {
    const dataDir = tempDir(t);
    const first = openManager(dataDir);
    first.createTopic('orders', 2);
    await first.close();
    const second = openManager(dataDir);
    t.after(() => second.close());
    assert.deepEqual(
      second.topics().map((x) => x.name),
      ['orders'],
    );
  });

  test('an open that fails after taking the lock (damaged topics.json) releases it', (t) => {
    const dataDir = tempDir(t);
    writeFileSync(join(dataDir, 'topics.json'), '{"version": 1, "topics": ');
    assert.throws(() => openManager(dataDir), /topics\.json/);
    writeFileSync(join(dataDir, 'topics.json'), '{"version": 1, "topics": {}}');
    const m = openManager(dataDir);
    t.after(() => m.close());
  });

  test('the .lock file is not taken for a topic or an orphan partition directory', async (t) => {
    const dataDir = tempDir(t);
    mkdirSync(join(dataDir, 'stray-0'));
    const first = openManager(dataDir);
    first.createTopic('a', 1);
    await first.close();
    assert.ok(readdirSync(dataDir).includes(DATA_DIR_LOCK_FILE));
    const { warnings, logger } = recordingLogger();
    const m = openManager(dataDir, logger);
    t.after(() => m.close());
    assert.deepEqual(
      m.topics().map((x) => x.name),
      ['a'],
    );
    assert.equal(warnings.length, 1, `only stray-0 is an orphan: ${warnings.join('; ')}`);
  });

  test('a process SIGKILLed while holding the lock leaves no stale lock', async (t) => {
    const dataDir = tempDir(t);
    const script = [
      `import { lockDataDir } from ${JSON.stringify(DIR_LOCK_MODULE)};`,
      'globalThis.held = lockDataDir(process.argv[1]);',
      "process.stdout.write('locked\\n');",
      'setInterval(() => {}, 1 << 30);',
    ].join('\n');
    const child = spawn(process.execPath, ['--input-type=module', '-e', script, dataDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    t.after(() => child.kill('SIGKILL'));
    const exited = once(child, 'exit');
    let out = '';
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => {
        out += d;
        if (out.includes('locked\n')) resolve();
      });
      void exited.then(([code]) => reject(new Error(`the child exited (${code}) before locking: ${out}`)));
    });
    assert.throws(() => openManager(dataDir), locked(dataDir), 'another process holds it');
    child.kill('SIGKILL');
    const [code, signal] = await exited;
    assert.deepEqual([code, signal], [null, 'SIGKILL']);
    const m = openManager(dataDir);
    t.after(() => m.close());
  });
});
