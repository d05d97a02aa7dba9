import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { tempDir } from './helpers/fixture.js';
import { batchOf, RawClient, valueText } from './helpers/raw-client.js';

const SCRIPT = fileURLToPath(new URL('./helpers/run-broker.js', import.meta.url));

interface Running {
  child: ChildProcess;
  url: string;
  stdout: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function run(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; output: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn(process.execPath, [SCRIPT, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  const output = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
  return { child, output };
}

async function startProcess(args: string[], env: Record<string, string> = {}): Promise<Running> {
  const child = spawn(process.execPath, [SCRIPT, '--port', '0', ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      stdout += d;
      const m = /rivulet broker listening on (ws:\/\/\S+) \(data: (.*)\)/.exec(stdout);
      if (m !== null) resolve(m[1]!);
    });
    child.stderr!.on('data', (d) => process.stderr.write(d));
    exited.then(() => reject(new Error(`broker exited before listening: ${stdout}`)));
  });
  return { child, url, stdout: () => stdout, exited };
}

describe('rivulet broker command', () => {
  const dirs: string[] = [];
  after(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('--help prints every option and exits 0; a bad option exits 2', async () => {
    const help = await run(['--help']).output;
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: rivulet broker/);
    assert.match(help.stdout, /--data-dir/);
    const bad = await run(['--bogus']).output;
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown option --bogus/);
  });

  it('SIGTERM shuts down gracefully (exit 0); a restart has every acknowledged record', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const first = await startProcess([], { RIVULET_DATA_DIR: dir });
    assert.match(first.stdout(), new RegExp(`\\(data: ${dir}\\)`), 'the data dir came from RIVULET_DATA_DIR');
    const c = await RawClient.connect(first.url);
    for (let i = 0; i < 10; i++)
      assert.equal((await c.produceOne('cmd', 0, batchOf([`r${i}`]), i % 2 ? 1 : -1)).errorCode, 0);
    first.child.kill('SIGTERM');
    assert.deepEqual(await first.exited, { code: 0, signal: null });
    assert.match(first.stdout(), /stopped/);

    const second = await startProcess(['--data-dir', dir]);
    const d = await RawClient.connect(second.url);
    assert.deepEqual(
      (await d.readAll('cmd', 0)).map(valueText),
      Array.from({ length: 10 }, (_, i) => `r${i}`),
    );
    second.child.kill('SIGINT');
    assert.equal((await second.exited).code, 0);
  });

  it('after SIGKILL, a restart still has every acknowledged record', async () => {
    const dir = tempDir();
    dirs.push(dir);
    const first = await startProcess(['--data-dir', dir]);
    const c = await RawClient.connect(first.url);
    const acked: string[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await c.produceOne('crash', 0, batchOf([`c${i}`]), i % 4 === 0 ? 1 : -1);
      if (r.errorCode === 0) acked.push(`c${i}`);
    }
    first.child.kill('SIGKILL');
    await first.exited;
    const second = await startProcess(['--data-dir', dir]);
    const d = await RawClient.connect(second.url);
    assert.deepEqual((await d.readAll('crash', 0)).map(valueText), acked);
    second.child.kill('SIGTERM');
    assert.equal((await second.exited).code, 0);
  });
});

describe('rivulet broker and V8', () => {
  it("keeps V8's young generation at its initial size in its process", async () => {
    // The same allocation churn with and without the command having run: V8 grows new space
    // (to 2 × 16 MiB) without it, and leaves it at its initial size with it.
    const entry = fileURLToPath(new URL('../../src/cli/broker-command.js', import.meta.url));
    const script = (callCommand: boolean) => `
      import { getHeapSpaceStatistics } from 'node:v8';
      ${callCommand ? `const { brokerCommand } = await import(${JSON.stringify(entry)}); await brokerCommand(['--help']);` : ''}
      let keep = [];
      for (let round = 0; round < 3000; round++) {
        for (let i = 0; i < 1000; i++) keep.push({ a: i, b: [i, i + 1], c: 'x' + i });
        if (keep.length > 200000) keep = [];
      }
      const space = getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
      console.log(space.space_size);`;
    const newSpace = (callCommand: boolean) =>
      new Promise<number>((resolve, reject) => {
        const child = spawn(process.execPath, ['--input-type=module', '-e', script(callCommand)], {
          stdio: ['ignore', 'pipe', 'inherit'],
        });
        let out = '';
        child.stdout!.on('data', (d) => {
          out += d;
        });
        child.on('error', reject);
        child.on('exit', () => resolve(Number(out.trim().split('\n').at(-1))));
      });
    const [grown, kept] = await Promise.all([newSpace(false), newSpace(true)]);
    assert.ok(grown >= 4 * kept, `new space without the command ${grown} B, with it ${kept} B`);
  });
});
