/**
 * `rivulet broker` runs its flushes on 8 libuv pool threads (src/cli/bin.cts), unless the user
 * sets UV_THREADPOOL_SIZE. Counted in /proc: the same broker, once with the variable unset and
 * once with UV_THREADPOOL_SIZE=4, after an acks=all produce has made it flush.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MAIN, rivulet } from './helpers.js';

/** Threads of a broker started with `env`, counted once it has flushed. */
async function brokerThreads(t: { after(fn: () => Promise<void>): void }, pool: string | undefined): Promise<number> {
  const dataDir = await mkdtemp(join(tmpdir(), 'rivulet-cli-pool-'));
  const env = { ...process.env };
  delete env.RIVULET_BROKERS;
  delete env.UV_THREADPOOL_SIZE;
  if (pool !== undefined) env.UV_THREADPOOL_SIZE = pool;
  const broker = spawn(process.execPath, [MAIN, 'broker', '--data-dir', dataDir, '--port', '0'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = once(broker, 'exit');
  t.after(async () => {
    broker.kill('SIGKILL');
    await exited;
    await rm(dataDir, { recursive: true, force: true });
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    broker.stdout.on('data', (d) => {
      out += d;
      const m = /listening on (ws:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    void exited.then(([code]) => reject(new Error(`the broker exited (${code}) before listening: ${out}`)));
  });
  const produced = await rivulet([
    'perf',
    'produce',
    '-b',
    url,
    '--topic',
    'pool',
    '--records',
    '1000',
    '--record-size',
    '100',
    '--acks',
    'all',
  ]);
  assert.equal(produced.code, 0, produced.stderr);
  return readdirSync(`/proc/${broker.pid}/task`).length;
}

describe('rivulet broker: flush threads', { skip: process.platform !== 'linux' && 'counts threads in /proc' }, () => {
  it('has 8 libuv pool threads by default, and what UV_THREADPOOL_SIZE says when it is set', async (t) => {
    const byDefault = await brokerThreads(t, undefined);
    const withFour = await brokerThreads(t, '4');
    assert.equal(byDefault - withFour, 4, `threads: ${byDefault} by default, ${withFour} with UV_THREADPOOL_SIZE=4`);
  });
});
