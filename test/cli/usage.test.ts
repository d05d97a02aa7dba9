/** The `rivulet` command without a broker: help, usage errors, an unreachable broker. */
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';
import { rivulet } from './helpers.js';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('rivulet help and usage errors', () => {
  for (const command of [
    [],
    ['broker'],
    ['topics'],
    ['topics', 'create'],
    ['produce'],
    ['consume'],
    ['offsets'],
    ['dump-log'],
  ]) {
    it(`'rivulet ${[...command, '--help'].join(' ')}' prints usage and exits 0`, async () => {
      const r = await rivulet([...command, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /Usage: rivulet/);
      assert.equal(r.stderr, '');
    });
  }

  it('an unknown command exits 2 and says so', async () => {
    const r = await rivulet(['frobnicate']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: unknown command 'frobnicate'/);
  });

  it('no command prints usage on stderr and exits 2', async () => {
    const r = await rivulet([]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Usage: rivulet/);
  });

  it('an unknown option exits 2 with one line and a pointer to --help', async () => {
    const r = await rivulet(['consume', 't', '--bogus']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: .*--bogus.*\nRun 'rivulet consume --help' for usage\.\n$/);
  });

  it('a missing topic argument exits 2', async () => {
    const r = await rivulet(['produce']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /^error: missing <topic>/);
  });

  it('contradictory start options exit 2', async () => {
    const r = await rivulet(['consume', 't', '--from-beginning', '--offset', '3']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /cannot be used together/);
  });

  it('a bad --format placeholder exits 2', async () => {
    const r = await rivulet(['consume', 't', '--format', '{nope}']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown placeholder '\{nope\}'/);
  });

  it('an unknown topics subcommand exits 2', async () => {
    const r = await rivulet(['topics', 'explode', 'x']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown subcommand 'topics explode'/);
  });

  it('topics alter with nothing to change exits 2', async () => {
    const r = await rivulet(['topics', 'alter', 'x']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /needs --config, --delete-config or --partitions/);
  });
});

describe('rivulet against a broker that is down', () => {
  let url: string;
  before(async () => {
    url = `ws://127.0.0.1:${await closedPort()}`;
  });

  for (const args of [
    ['topics', 'list'],
    ['offsets', 't'],
    ['consume', 't', '--from-beginning'],
  ]) {
    it(`'rivulet ${args.join(' ')}' exits 1 with one clear line and no stack trace`, async () => {
      const r = await rivulet([...args, '--brokers', url]);
      assert.equal(r.code, 1);
      assert.equal(
        r.stderr,
        `error: cannot reach broker at ${url} (ECONNREFUSED) — is it running? start one with \`rivulet broker\`\n`,
      );
      assert.equal(r.stdout, '');
    });
  }

  it('produce exits 1 with the same message', async () => {
    const r = await rivulet(['produce', 't', '--brokers', url], { input: 'a\nb\n' });
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: cannot reach broker at .* \(ECONNREFUSED\) — is it running\?/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });

  it('takes the broker from RIVULET_BROKERS', async () => {
    const r = await rivulet(['topics', 'list'], { env: { RIVULET_BROKERS: url } });
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`cannot reach broker at ${url}`));
  });
});

describe('rivulet dump-log on a file written here', () => {
  let dir: string;
  let file: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'rivulet-dump-'));
    file = join(dir, '00000000000000000000.log');
    const first = encodeRecordBatch([{ key: 'k1', value: 'v1', headers: { h: '1' } }, { value: 'v2' }], {
      baseOffset: 0,
      timestamp: 1_700_000_000_000,
    });
    const second = encodeRecordBatch([{ key: 'k3', value: 'v3' }], { baseOffset: 2, timestamp: 1_700_000_000_001 });
    await writeFile(file, Buffer.concat([first, second, Buffer.alloc(128)]));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the batches, with records on request, and treats zero padding as the end of data', async () => {
    const r = await rivulet(['dump-log', file, '--print-records']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /baseOffset: 0 lastOffset: 1 count: 2 position: 0 /);
    assert.match(r.stdout, /\| offset: 0 timestamp: 1700000000000 .*headers: \[h="1"\] key: "k1" value: "v1"/);
    assert.match(r.stdout, /\| offset: 1 .*key: null value: "v2"/);
    assert.match(r.stdout, /\| offset: 2 .*key: "k3" value: "v3"/);
    assert.match(r.stdout, /2 batches/);
  });

  it('a truncated copy exits 1 and says where and why', async () => {
    const cut = join(dir, 'cut.log');
    const bytes = await readFile(file);
    const firstSize = 12 + bytes.readInt32BE(8);
    await writeFile(cut, bytes.subarray(0, firstSize + 20));
    const r = await rivulet(['dump-log', cut]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, new RegExp(`^error: invalid batch at position ${firstSize} of .*: truncated`));
  });

  it('a missing file exits 1 with one line', async () => {
    const missing = join(dir, 'missing.log');
    const r = await rivulet(['dump-log', missing]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, `error: no such file '${missing}'\n`);
  });
});
