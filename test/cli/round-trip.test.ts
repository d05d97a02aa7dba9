/** `rivulet produce`, `consume` and `dump-log` against a real broker and its segment files. */
import assert from 'node:assert/strict';
import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { rivulet, spawnRivulet, startBroker, type TestBroker } from './helpers.js';

const FIRST_SEGMENT = '00000000000000000000.log';

/** Produces pings until a consumer started at the log end prints one: then it is surely running. */
async function untilConsuming(child: ChildProcess, topic: string, b: string[]): Promise<void> {
  let seen = false;
  child.stdout!.once('data', () => {
    seen = true;
  });
  const deadline = Date.now() + 15_000;
  while (!seen) {
    assert.ok(Date.now() < deadline, 'the consumer never printed a record');
    assert.equal((await rivulet(['produce', topic, ...b], { input: 'ping\n' })).code, 0);
    await sleep(200);
  }
}

/** Waits for a child's exit code, killing it after `ms`. */
async function exitCode(child: ChildProcess, ms = 10_000): Promise<number | null> {
  const exited = once(child, 'exit');
  const timer = setTimeout(() => child.kill('SIGKILL'), ms);
  const [code] = (await exited) as [number | null];
  clearTimeout(timer);
  return code;
}

describe('rivulet produce and consume', () => {
  let broker: TestBroker;
  let b: string[];
  before(async () => {
    broker = await startBroker();
    b = ['--brokers', broker.url];
  });
  after(async () => {
    await broker.close();
  });

  async function createTopic(name: string, partitions = 1): Promise<void> {
    const r = await rivulet(['topics', 'create', name, '--partitions', String(partitions), ...b]);
    assert.equal(r.code, 0, r.stderr);
  }

  it('round-trips keys, values and headers exactly', async () => {
    await createTopic('round');
    const input = 'k1:v1\nk2:value with spaces\nno key here\n\nk3:ünïcødé:with:colons\r\nlast:unterminated';
    const produced = await rivulet(
      ['produce', 'round', '--key-separator', ':', '--header', 'source=cli', '--header', 'eq=a=b', '--verbose', ...b],
      { input },
    );
    assert.equal(produced.code, 0, produced.stderr);
    assert.equal(produced.stderr, '');
    assert.equal(produced.stdout, [0, 1, 2, 3, 4, 5].map((o) => `round\t0\t${o}\n`).join(''));

    const consumed = await rivulet([
      'consume',
      'round',
      '--from-beginning',
      '--max-messages',
      '6',
      '--format',
      '{topic}/{partition}/{offset}\\t{key}\\t{value}\\t{headers}',
      ...b,
    ]);
    assert.equal(consumed.code, 0, consumed.stderr);
    assert.equal(
      consumed.stdout,
      [
        'round/0/0\tk1\tv1\tsource=cli,eq=a=b',
        'round/0/1\tk2\tvalue with spaces\tsource=cli,eq=a=b',
        'round/0/2\t\tno key here\tsource=cli,eq=a=b',
        'round/0/3\t\t\tsource=cli,eq=a=b',
        'round/0/4\tk3\tünïcødé:with:colons\tsource=cli,eq=a=b',
        'round/0/5\tlast\tunterminated\tsource=cli,eq=a=b',
        '',
      ].join('\n'),
    );
  });

  it('prints only the value by default and stops after --max-messages', async () => {
    await createTopic('plain');
    const produced = await rivulet(['produce', 'plain', ...b], { input: 'one\ntwo\nthree\n' });
    assert.equal(produced.code, 0, produced.stderr);
    assert.equal(produced.stdout, '');
    const consumed = await rivulet(['consume', 'plain', '--from-beginning', '--max-messages', '2', ...b]);
    assert.equal(consumed.code, 0, consumed.stderr);
    assert.equal(consumed.stdout, 'one\ntwo\n');
  });

  it('streams a large pipe through produce and back out of consume', async () => {
    await createTopic('bulk', 3);
    const count = 50_000;
    const lines = Array.from({ length: count }, (_, i) => `key-${i % 97}|value-${i}-${'x'.repeat(i % 50)}`);
    const produced = await rivulet(['produce', 'bulk', '--key-separator', '|', ...b], {
      input: `${lines.join('\n')}\n`,
      timeoutMs: 60_000,
    });
    assert.equal(produced.code, 0, produced.stderr);
    const consumed = await rivulet(
      ['consume', 'bulk', '--from-beginning', '--max-messages', String(count), '--format', '{key}|{value}', ...b],
      { timeoutMs: 60_000 },
    );
    assert.equal(consumed.code, 0, consumed.stderr);
    const got = consumed.stdout.trimEnd().split('\n');
    assert.equal(got.length, count);
    assert.deepEqual([...got].sort(), [...lines].sort());
    // Records with the same key land on one partition, in input order.
    const byKey = new Map<string, string[]>();
    for (const line of got) {
      const key = line.slice(0, line.indexOf('|'));
      byKey.set(key, [...(byKey.get(key) ?? []), line]);
    }
    for (const [key, seen] of byKey) {
      assert.deepEqual(
        seen,
        lines.filter((l) => l.startsWith(`${key}|`)),
        `order of ${key}`,
      );
    }
  });

  it('sends to a chosen partition, with acks 1 and gzip, and reads only that partition', async () => {
    await createTopic('parted', 3);
    const produced = await rivulet(
      ['produce', 'parted', '--partition', '2', '--acks', '1', '--compression', 'gzip', '--verbose', ...b],
      { input: 'p2-a\np2-b\n' },
    );
    assert.equal(produced.code, 0, produced.stderr);
    assert.equal(produced.stdout, 'parted\t2\t0\nparted\t2\t1\n');
    const other = await rivulet(['produce', 'parted', '--partition', '0', '--acks', '0', ...b], { input: 'p0\n' });
    assert.equal(other.code, 0, other.stderr);

    const consumed = await rivulet([
      'consume',
      'parted',
      '--partition',
      '2',
      '--from-beginning',
      '--timeout-ms',
      '1500',
      '--format',
      '{partition}:{offset}:{value}',
      ...b,
    ]);
    assert.equal(consumed.code, 0, consumed.stderr);
    assert.equal(consumed.stdout, '2:0:p2-a\n2:1:p2-b\n');

    const dump = await rivulet(['dump-log', join(broker.dataDir, 'parted-2', FIRST_SEGMENT)]);
    assert.equal(dump.code, 0, dump.stderr);
    assert.match(dump.stdout, /compression: gzip/);
  });

  it('starts at --offset N', async () => {
    await createTopic('from-offset');
    await rivulet(['produce', 'from-offset', ...b], { input: 'r0\nr1\nr2\nr3\nr4\n' });
    const r = await rivulet([
      'consume',
      'from-offset',
      '--offset',
      '3',
      '--max-messages',
      '2',
      '--format',
      '{offset}={value}',
      ...b,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '3=r3\n4=r4\n');
  });

  it('starts at --timestamp, as epoch ms or an ISO date', async () => {
    await createTopic('by-time');
    let r = await rivulet(['produce', 'by-time', ...b], { input: 'old-1\nold-2\n' });
    assert.equal(r.code, 0, r.stderr);
    await sleep(50);
    const cut = Date.now();
    await sleep(50);
    r = await rivulet(['produce', 'by-time', ...b], { input: 'new-1\nnew-2\n' });
    assert.equal(r.code, 0, r.stderr);

    for (const ts of [String(cut), new Date(cut).toISOString()]) {
      r = await rivulet([
        'consume',
        'by-time',
        '--timestamp',
        ts,
        '--max-messages',
        '2',
        '--format',
        '{offset}={value}',
        ...b,
      ]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '2=new-1\n3=new-2\n', `--timestamp ${ts}`);
    }
    r = await rivulet(['offsets', 'by-time', '--timestamp', String(cut), '--json', ...b]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal((JSON.parse(r.stdout) as { partitions: { offset: number }[] }).partitions[0]?.offset, 2);
  });

  it('--timeout-ms ends a consumer that sees nothing, exit 0', async () => {
    await createTopic('quiet');
    const started = Date.now();
    const r = await rivulet(['consume', 'quiet', '--timeout-ms', '300', ...b]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, '');
    assert.ok(Date.now() - started < 10_000);
  });

  it('an unknown topic is one clear line for consume', async () => {
    const r = await rivulet(['consume', 'no-such-topic', '--from-beginning', ...b]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "error: unknown topic 'no-such-topic'\n");
    assert.equal(r.stdout, '');
  });

  it('a partition the topic does not have is one clear line', async () => {
    await createTopic('two', 2);
    const r = await rivulet(['consume', 'two', '--partition', '7', ...b]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "error: topic 'two' has no partition 7 (it has 2)\n");
  });

  it('dump-log reads a real segment and pinpoints a flipped byte', async () => {
    await createTopic('dumped');
    let r = await rivulet(['produce', 'dumped', '--key-separator', '=', ...b], { input: 'a=1\nb=2\n' });
    assert.equal(r.code, 0, r.stderr);
    r = await rivulet(['produce', 'dumped', ...b], { input: 'third\n' });
    assert.equal(r.code, 0, r.stderr);
    const segment = join(broker.dataDir, 'dumped-0', FIRST_SEGMENT);

    const good = await rivulet(['dump-log', segment, '--print-records']);
    assert.equal(good.code, 0, good.stderr);
    assert.match(good.stdout, /baseOffset: 0 lastOffset: 1 count: 2 position: 0 /);
    assert.match(good.stdout, /\| offset: 0 .*key: "a" value: "1"/);
    assert.match(good.stdout, /\| offset: 1 .*key: "b" value: "2"/);
    assert.match(good.stdout, /\| offset: 2 .*key: null value: "third"/);
    const second = /baseOffset: 2 lastOffset: 2 count: 1 position: (\d+) size: (\d+)/.exec(good.stdout);
    assert.ok(second, good.stdout);
    const position = Number(second[1]);
    const size = Number(second[2]);

    const damaged = join(broker.dataDir, 'damaged.log');
    await copyFile(segment, damaged);
    const bytes = await readFile(damaged);
    bytes[position + size - 3]! ^= 0x01; // inside the last record of the second batch
    await writeFile(damaged, bytes);
    const bad = await rivulet(['dump-log', damaged]);
    assert.equal(bad.code, 1);
    assert.match(bad.stdout, /invalid batch at position \d+: CRC mismatch/);
    assert.equal(
      bad.stderr.replace(/stored 0x[0-9a-f]+/, 'stored X'),
      `error: invalid batch at position ${position} of ${damaged}: CRC mismatch: stored X does not match the batch's bytes\n`,
    );
  });

  it('client commands load the addon only for its CRC, and work without it', async () => {
    await createTopic('light');
    // Logs every native module the command loads.
    const hook = join(broker.dataDir, 'trace-dlopen.mjs');
    await writeFile(
      hook,
      'const dlopen = process.dlopen;\n' +
        'process.dlopen = function (m, file, ...rest) { process.stderr.write("dlopen " + file + "\\n"); return dlopen.call(this, m, file, ...rest); };\n',
    );
    const nodeArgs = ['--import', hook];
    // Without a loadable addon (RIVULET_ADDON names no file) every client command still works:
    // the SDK falls back to the TypeScript CRC.
    const env = { RIVULET_ADDON: join(broker.dataDir, 'no-such-addon.node') };
    const produced = await rivulet(['produce', 'light', ...b], { input: 'x\n', nodeArgs, env });
    assert.equal(produced.code, 0, produced.stderr);
    const consumed = await rivulet(['consume', 'light', '--from-beginning', '--max-messages', '1', ...b], { nodeArgs, env });
    assert.equal(consumed.code, 0, consumed.stderr);
    assert.equal(consumed.stdout, 'x\n');
    const listed = await rivulet(['topics', 'list', ...b], { nodeArgs, env });
    assert.equal(listed.code, 0, listed.stderr);
    for (const r of [produced, consumed, listed]) assert.doesNotMatch(r.stderr, /dlopen .*rivulet_native/);
    // With it, the Node transport loads it (native CRC-32C for the record batches).
    const fast = await rivulet(['produce', 'light', ...b], { input: 'y\n', nodeArgs });
    assert.equal(fast.code, 0, fast.stderr);
    assert.match(fast.stderr, /dlopen .*rivulet_native\.node/);
  });

  it('SIGINT stops a waiting consumer promptly, exit 130', async () => {
    await createTopic('interrupted');
    const child = spawnRivulet(['consume', 'interrupted', ...b]);
    const code = exitCode(child, 30_000);
    await untilConsuming(child, 'interrupted', b);
    child.kill('SIGINT');
    assert.equal(await code, 130);
  });

  it('a reader that goes away (| head) ends consume quietly, exit 0', async () => {
    await createTopic('piped');
    const lines = Array.from({ length: 20_000 }, (_, i) => `line-${i}`).join('\n');
    assert.equal((await rivulet(['produce', 'piped', ...b], { input: lines })).code, 0);
    const child = spawnRivulet(['consume', 'piped', '--from-beginning', ...b]);
    const code = exitCode(child, 30_000);
    const stderr: Buffer[] = [];
    child.stderr.on('data', (d: Buffer) => stderr.push(d));
    await once(child.stdout, 'data');
    child.stdout.destroy(); // as `head` does once it has its lines
    // The command learns of the closed pipe on its next write, whenever the next records come.
    assert.equal((await rivulet(['produce', 'piped', ...b], { input: lines })).code, 0);
    assert.equal(await code, 0);
    assert.equal(Buffer.concat(stderr).toString(), '');
  });
});

describe('rivulet consume when the broker goes away', () => {
  it('--timeout-ms reports the lost broker, exit 1, instead of a quiet end', async () => {
    const broker = await startBroker();
    let closed = false;
    try {
      const b = ['--brokers', broker.url];
      assert.equal((await rivulet(['topics', 'create', 'doomed', ...b])).code, 0);
      const child = spawnRivulet(['consume', 'doomed', '--timeout-ms', '4000', ...b]);
      const code = exitCode(child, 30_000);
      const stderr: Buffer[] = [];
      child.stderr.on('data', (d: Buffer) => stderr.push(d));
      await untilConsuming(child, 'doomed', b);
      await broker.close();
      closed = true;
      assert.equal(await code, 1);
      assert.match(
        Buffer.concat(stderr).toString(),
        new RegExp(`^error: lost the broker at ${broker.url}: no answer for \\d+ ms\\n$`),
      );
    } finally {
      if (!closed) await broker.close();
    }
  });
});
