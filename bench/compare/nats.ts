/**
 * NATS JetStream from Node (nats.js v2), driven the fastest correct way: publishes go out as core
 * publishes with a reply subject each (the stream answers on it with its PubAck), with up to
 * PUBLISH_WINDOW acks outstanding: Go's PublishAsync pattern (`js.publish` awaits each ack and is
 * several times slower). Latency is per record, publish to PubAck. Consumed with a durable pull
 * consumer (`consume`, pulls of PULL_RECORDS refilled as they drain) with AckPolicy All: the last
 * record of each PULL_RECORDS is acked, which acks everything before it. The server keeps its
 * default lazy fsync (every two minutes): the stream is on disk, not synced per publish.
 */
import { randomBytes } from 'node:crypto';
import { AckPolicy, connect, createInbox, DeliverPolicy, type NatsConnection, StorageType } from 'nats';
import { Histogram } from '../../src/cli/perf/histogram.js';
import { freePort, start, type Started, tempDir, waitForPort } from './proc.js';
import { ownCpuSeconds, type PhaseResult, type Workload } from './types.js';

const STREAM = 'bench';
const SUBJECT = 'bench.s';
const DURABLE = 'bench-reader';
const PUBLISH_WINDOW = 1000;
const PULL_RECORDS = 1000;
/** A PubAck starts with this; anything else is parsed to find the error. */
const PUBACK_PREFIX = Buffer.from('{"stream":');

export async function startNats(bin: string): Promise<{ started: Started; port: number }> {
  const port = await freePort();
  const dir = await tempDir('nats');
  const started = start(bin, ['-js', '-sd', dir, '-a', '127.0.0.1', '-p', String(port)]);
  await waitForPort(port, started);
  return { started, port };
}

async function open(port: number): Promise<NatsConnection> {
  return connect({ servers: `127.0.0.1:${port}`, maxReconnectAttempts: 0 });
}

export async function produceNats(w: Workload): Promise<PhaseResult> {
  const nc = await open(w.port);
  const jsm = await nc.jetstreamManager();
  await jsm.streams.add({ name: STREAM, subjects: [SUBJECT], storage: StorageType.File });
  const value = randomBytes(w.recordSize);
  const h = new Histogram();
  const sentAt = new Float64Array(w.records);
  const prefix = createInbox();
  let sent = 0;
  let acked = 0;
  let settle!: (err?: Error) => void;
  const done = new Promise<Error | undefined>((resolve) => {
    settle = resolve;
  });
  const pump = () => {
    while (sent < w.records && sent - acked < PUBLISH_WINDOW) {
      sentAt[sent] = performance.now();
      nc.publish(SUBJECT, value, { reply: `${prefix}.${sent}` });
      sent++;
    }
  };
  nc.subscribe(`${prefix}.*`, {
    callback: (err, msg) => {
      if (err) return settle(err);
      const i = Number(msg.subject.slice(prefix.length + 1));
      h.record((performance.now() - sentAt[i]!) * 1000);
      const data = msg.data;
      if (
        Buffer.compare(
          Buffer.from(data.buffer, data.byteOffset, Math.min(data.length, PUBACK_PREFIX.length)),
          PUBACK_PREFIX,
        ) !== 0
      ) {
        const body = JSON.parse(Buffer.from(data).toString()) as { error?: { description?: string } };
        if (body.error !== undefined) return settle(new Error(`publish ${i} failed: ${body.error.description}`));
      }
      acked++;
      if (acked === w.records) settle();
      else pump();
    },
  });
  await nc.flush();
  const cpu0 = ownCpuSeconds();
  const t0 = performance.now();
  pump();
  const err = await done;
  const elapsedMs = performance.now() - t0;
  const clientCpuSeconds = ownCpuSeconds() - cpu0;
  if (err !== undefined) throw err;
  const info = await jsm.streams.info(STREAM);
  await nc.close();
  if (info.state.messages !== w.records)
    throw new Error(`the stream holds ${info.state.messages} messages, not ${w.records}`);
  return {
    records: w.records,
    bytes: w.records * w.recordSize,
    elapsedMs,
    p50Ms: h.percentile(50) / 1000,
    p99Ms: h.percentile(99) / 1000,
    latencyOf: `one publish to its PubAck (${PUBLISH_WINDOW} outstanding)`,
    clientCpuSeconds,
  };
}

export async function consumeNats(w: Workload): Promise<PhaseResult> {
  const nc = await open(w.port);
  const jsm = await nc.jetstreamManager();
  await jsm.consumers.add(STREAM, {
    durable_name: DURABLE,
    ack_policy: AckPolicy.All,
    deliver_policy: DeliverPolicy.All,
    max_ack_pending: 10 * PULL_RECORDS,
  });
  const consumer = await nc.jetstream().consumers.get(STREAM, DURABLE);
  let records = 0;
  let bytes = 0;
  const cpu0 = ownCpuSeconds();
  const t0 = performance.now();
  const messages = await consumer.consume({ max_messages: PULL_RECORDS });
  for await (const m of messages) {
    records++;
    bytes += m.data.length;
    if (records === w.records) {
      await m.ackAck();
      break;
    }
    if (records % PULL_RECORDS === 0) m.ack();
  }
  const elapsedMs = performance.now() - t0;
  const clientCpuSeconds = ownCpuSeconds() - cpu0;
  // Leaving the loop stopped the consumer's pulls; its close() would wait for pulls never answered.
  await nc.close();
  if (records !== w.records) throw new Error(`consumed ${records} messages, not ${w.records}`);
  return { records, bytes, elapsedMs, clientCpuSeconds };
}
