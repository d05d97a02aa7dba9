/** `rivulet topics` and `rivulet offsets` against a real broker. */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rivulet, startBroker, type TestBroker } from './helpers.js';

describe('rivulet topics', () => {
  let broker: TestBroker;
  let b: string[];
  before(async () => {
    broker = await startBroker();
    b = ['--brokers', broker.url];
  });
  after(async () => {
    await broker.close();
  });

  it('creates, lists, describes, alters and deletes a topic', async () => {
    let r = await rivulet([
      'topics',
      'create',
      'orders',
      '--partitions',
      '2',
      '--config',
      'retention.ms=86400000',
      ...b,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "created topic 'orders' with 2 partitions\n");

    r = await rivulet(['topics', 'create', 'audit', ...b]);
    assert.equal(r.code, 0, r.stderr);

    r = await rivulet(['topics', 'list', ...b]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['audit', 'orders']);

    r = await rivulet(['topics', 'describe', 'orders', ...b]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      /^Topic: orders\nPartitions: 2\n {2}PARTITION {2}LOW {2}HIGH\n {2}0 +0 +0\n {2}1 +0 +0\nConfigs:\n/,
    );
    assert.match(r.stdout, /\n {2}retention\.ms +86400000 +topic\n/);
    assert.match(r.stdout, /\n {2}cleanup\.policy +delete +default\n/);

    r = await rivulet([
      'topics',
      'alter',
      'orders',
      '--partitions',
      '3',
      '--config',
      'retention.ms=3600000',
      '--config',
      'cleanup.policy=compact',
      ...b,
    ]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "altered topic 'orders': 2 configs, partitions to 3\n");

    r = await rivulet(['topics', 'describe', 'orders', '--json', ...b]);
    assert.equal(r.code, 0, r.stderr);
    const described = JSON.parse(r.stdout) as {
      partitions: { partition: number }[];
      configs: { name: string; value: string; source: string }[];
    };
    assert.deepEqual(
      described.partitions.map((p) => p.partition),
      [0, 1, 2],
    );
    const config = (name: string) => described.configs.find((c) => c.name === name);
    assert.deepEqual(config('retention.ms'), { name: 'retention.ms', value: '3600000', source: 'topic' });
    assert.equal(config('cleanup.policy')?.value, 'compact');

    r = await rivulet(['topics', 'alter', 'orders', '--delete-config', 'cleanup.policy', ...b]);
    assert.equal(r.code, 0, r.stderr);
    r = await rivulet(['topics', 'describe', 'orders', '--json', ...b]);
    const after = JSON.parse(r.stdout) as { configs: { name: string; value: string; source: string }[] };
    assert.deepEqual(
      after.configs.find((c) => c.name === 'cleanup.policy'),
      { name: 'cleanup.policy', value: 'delete', source: 'default' },
    );

    r = await rivulet(['topics', 'delete', 'orders', ...b]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, "deleted topic 'orders'\n");
    r = await rivulet(['topics', 'list', ...b]);
    assert.equal(r.stdout, 'audit\n');
  });

  it('creating a topic twice fails with exit 1', async () => {
    assert.equal((await rivulet(['topics', 'create', 'twice', ...b])).code, 0);
    const r = await rivulet(['topics', 'create', 'twice', ...b]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, "error: topic 'twice' already exists\n");
  });

  it('an unknown topic is one clear line for describe, alter, delete and offsets', async () => {
    for (const args of [
      ['topics', 'describe', 'ghost'],
      ['topics', 'delete', 'ghost'],
      ['topics', 'alter', 'ghost', '--config', 'retention.ms=1'],
      ['offsets', 'ghost'],
    ]) {
      const r = await rivulet([...args, ...b]);
      assert.equal(r.code, 1, args.join(' '));
      assert.equal(r.stderr, "error: unknown topic 'ghost'\n", args.join(' '));
    }
  });

  it('a rejected config or name is reported in the broker’s words, exit 1', async () => {
    let r = await rivulet(['topics', 'create', 'cfg', '--config', 'no.such.config=1', ...b]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: invalid config.*no\.such\.config.*\n$/);
    r = await rivulet(['topics', 'create', 'bad name!', ...b]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: invalid topic name.*\n$/);
  });

  it('shrinking partitions is refused, exit 1', async () => {
    assert.equal((await rivulet(['topics', 'create', 'grow', '--partitions', '2', ...b])).code, 0);
    const r = await rivulet(['topics', 'alter', 'grow', '--partitions', '1', ...b]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^error: .*partition/);
  });

  it('offsets prints low and high per partition, and the offset for a time', async () => {
    assert.equal((await rivulet(['topics', 'create', 'counted', '--partitions', '2', ...b])).code, 0);
    const produced = await rivulet(['produce', 'counted', '--partition', '1', ...b], { input: 'a\nb\nc\n' });
    assert.equal(produced.code, 0, produced.stderr);
    let r = await rivulet(['offsets', 'counted', ...b]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'PARTITION  LOW  HIGH\n0          0    0\n1          0    3\n');

    r = await rivulet(['offsets', 'counted', '--timestamp', '0', '--json', ...b]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), {
      topic: 'counted',
      timestamp: 0,
      partitions: [
        { partition: 0, low: 0, high: 0, offset: 0 },
        { partition: 1, low: 0, high: 3, offset: 0 },
      ],
    });
  });
});
