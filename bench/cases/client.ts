/**
 * SDK micro-benchmarks: the producer's path from `send()` to the bytes of a Produce frame
 * (message checks, partitioning, accumulation, RecordBatch encoding, framing), for sends of
 * 10,000 messages and for 10,000 sends of one message, against an
 * in-memory transport that acknowledges every produce at once, so no broker or network time is in
 * the figure; and the consumer's decoding of fetched batches into messages.
 *
 * Not wired into bench/micro.ts's groups; run alone:
 *   node dist/bench/cases/client.js
 */
import type { Bench } from 'tinybench';
import { Rivulet } from '../../src/client/index.js';
import { decodeMessages } from '../../src/client/record-decoding.js';
import type { Socket, SocketFactory } from '../../src/client/transport.js';
import { ApiKeys } from '../../src/protocol/api.js';
import { decodeRequest, encodeResponse } from '../../src/protocol/frame.js';
import { encodeRecordBatch } from '../../src/protocol/record-batch.js';

/** Answers Metadata, InitProducerId and Produce in memory, as a one-broker cluster would. */
function loopbackFactory(partitions: number): SocketFactory {
  return async (_url, _timeout, handlers) => {
    const next = new Map<string, number>();
    const socket: Socket = {
      bufferedAmount: 0,
      close() {},
      terminate() {},
      send(data) {
        const req = decodeRequest(data);
        let body: unknown;
        if (req.apiKey === ApiKeys.Metadata) {
          const topics = ((req.body as { topics: string[] | null }).topics ?? []).map((name) => ({
            name,
            errorCode: 0,
            partitions: Array.from({ length: partitions }, (_, index) => ({
              index,
              errorCode: 0,
              leaderId: 0,
              replicaNodes: [0],
              isrNodes: [0],
            })),
          }));
          body = { clusterId: 'bench', controllerId: 0, brokers: [{ nodeId: 0, host: '127.0.0.1', port: 1 }], topics };
        } else if (req.apiKey === ApiKeys.InitProducerId) {
          body = { producerId: 1, producerEpoch: 0 };
        } else if (req.apiKey === ApiKeys.Produce) {
          const b = req.body as {
            acks: number;
            topics: { name: string; partitions: { index: number; bytes: number }[] }[];
          };
          if (b.acks === 0) return;
          body = {
            topics: b.topics.map((t) => ({
              name: t.name,
              partitions: t.partitions.map((p) => {
                const k = `${t.name}/${p.index}`;
                const baseOffset = next.get(k) ?? 0;
                next.set(k, baseOffset + 1); // offsets are not the point here
                return { index: p.index, errorCode: 0, baseOffset };
              }),
            })),
          };
        } else {
          throw new Error(`loopback: api ${req.apiKey} not served`);
        }
        const reply = encodeResponse(req.correlationId, 0, body);
        queueMicrotask(() => handlers.message(reply));
      },
    };
    return socket;
  };
}

export async function addClientCases(bench: Bench): Promise<() => Promise<void>> {
  // As in Node with the `ws` transport: the addon's CRC-32C (the loopback transport does not load it).
  await import('../../src/log/native.js');
  const client = new Rivulet({ brokers: ['ws://loopback:1'], socketFactory: loopbackFactory(4) });
  const producer = client.producer();
  const value = 'x'.repeat(100);
  const messages = Array.from({ length: 10_000 }, () => ({ value }));
  const keyed = Array.from({ length: 10_000 }, (_, i) => ({ key: `key-${i}`, value }));
  await producer.send({ topic: 'bench', messages });
  bench.add('producer: send 10,000 × 100 B keyless (acks all, idempotent)', async () => {
    await producer.send({ topic: 'bench', messages });
  });
  bench.add('producer: send 10,000 × 100 B keyed (murmur2)', async () => {
    await producer.send({ topic: 'bench', messages: keyed });
  });
  // Buffer values, as most producers send them (serialized elsewhere); 1 KiB, the link goal's size.
  const kib = Array.from({ length: 10_000 }, () => ({ value: Buffer.alloc(1024, 7) }));
  bench.add('producer: send 10,000 × 1 KiB Buffer keyless', async () => {
    await producer.send({ topic: 'bench', messages: kib });
  });
  // One message per send(), as services often produce events; every send of the round awaited at once.
  const singles = messages.map((m) => ({ topic: 'bench', messages: [m] }));
  bench.add('producer: 10,000 sends of one 100 B message each', async () => {
    await Promise.all(singles.map((record) => producer.send(record)));
  });
  // What a fetch hands the consumer: 10 batches of 1,000 records of 100 B (no key) in one Buffer,
  // decoded into messages with a Buffer view of each value (the CRCs were checked on arrival).
  const batches = Array.from({ length: 10 }, (_, b) =>
    encodeRecordBatch(
      Array.from({ length: 1000 }, () => ({ key: null, value: Buffer.alloc(100, 7) })),
      { timestamp: 1_700_000_000_000, baseOffset: b * 1000 },
    ),
  );
  const fetched = Buffer.concat(batches);
  bench.add('consumer: decode 10,000 × 100 B fetched records into messages', () => {
    return decodeMessages([fetched], 0, false, undefined).messages.length;
  });
  return () => client.close();
}

// Run alone: node dist/bench/cases/client.js
if (import.meta.url === `file://${process.argv[1]}`) {
  const { Bench: B } = await import('tinybench');
  const bench = new B({ time: 2000, warmupTime: 300 });
  const cleanup = await addClientCases(bench);
  await bench.run();
  for (const task of bench.tasks) {
    const r = task.result as unknown as { latency?: { mean: number } };
    const ms = r.latency?.mean ?? 0;
    console.log(
      `${task.name}: ${ms.toFixed(2)} ms per 10,000 records, ${Math.round((10_000 / ms) * 1000).toLocaleString()} records/s`,
    );
  }
  await cleanup();
}
