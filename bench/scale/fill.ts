/**
 * `node dist/bench/scale/fill.js --brokers URL --topic T --partitions P --records N --record-size B`:
 * creates T with P partitions and writes N records of B bytes round-robin by explicit partition, so
 * every partition holds the same count (±1), acks=1; `--config k=v,...` sets topic configs. Used where the spread must be exact (group
 * consumers, the partition RSS load). Prints one JSON line.
 */
import { randomFillSync } from 'node:crypto';
import { Rivulet } from '../../src/client/index.js';
import { arg } from './lib.js';

const brokers = arg('brokers', 'ws://127.0.0.1:9080').split(',');
const topic = arg('topic', 't');
const partitions = Number(arg('partitions', '8'));
const records = Number(arg('records', '100000'));
const recordSize = Number(arg('record-size', '100'));
/** Topic configs, `k=v,k=v` (e.g. segment.index.bytes=65536). */
const configEntries = arg('config', '')
  .split(',')
  .filter((kv) => kv !== '')
  .map((kv) => ({ name: kv.slice(0, kv.indexOf('=')), value: kv.slice(kv.indexOf('=') + 1) }));

const client = new Rivulet({ brokers, clientId: 'scale-fill' });
const admin = client.admin();
await admin.createTopics({ topics: [{ topic, numPartitions: partitions, configEntries }] });
const producer = client.producer({ acks: 1 });
const value = Buffer.alloc(recordSize);
randomFillSync(value);
const start = performance.now();
const PER_SEND = 1000;
const WINDOW = 16;
const pending = new Set<Promise<unknown>>();
let next = 0;
for (let sent = 0; sent < records; ) {
  const n = Math.min(PER_SEND, records - sent);
  const messages = new Array(n);
  for (let i = 0; i < n; i++) messages[i] = { value, partition: next++ % partitions };
  const p = producer.send({ topic, messages });
  pending.add(p);
  void p.finally(() => pending.delete(p));
  sent += n;
  if (pending.size >= WINDOW) await Promise.race(pending);
}
await Promise.all(pending);
const elapsedMs = performance.now() - start;
await producer.close();
await client.close();
process.stdout.write(`${JSON.stringify({ records, partitions, elapsedMs })}\n`);
