/**
 * `rivulet perf produce`: sends N records of B bytes as fast as the producer takes them (or at
 * --throughput records/s) over C connections, and measures each record from the send() call that
 * carried it to its acknowledgement. Records go out in sends of up to SEND_RECORDS (fewer under a
 * low --throughput); every record of a send gets that send's latency, which is when the caller
 * learns it is acknowledged. Outstanding records per connection are bounded (like Kafka's
 * buffer.memory), so the latency measured is the producer's, not a queue the tool built itself.
 */
import { randomFillSync } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Producer, Rivulet } from '../../client/index.js';
import type { Acks, Message } from '../../client/types.js';
import { CliError } from '../args.js';
import { explained, openClient } from '../connect.js';
import { explainClientError } from '../report.js';
import { PerfReporter, type PerfSummary } from './reporter.js';
import { TokenBucket } from './token-bucket.js';

/** Records per send() call at full speed. */
const SEND_RECORDS = 1000;
/**
 * Kafka's producer default for buffer.memory. Under acks=all a request waits for its fdatasync, so
 * the data in flight must cover that wait: with 8 MiB, 1 KiB records at full speed reached
 * 0.74–0.81 GB/s with the client a quarter idle; with 32 MiB, 0.84–1.01 GB/s (BENCHMARKS.md).
 */
export const DEFAULT_BUFFER_MEMORY = 32 * 1024 * 1024;

export interface ProduceSettings {
  topic: string;
  records: number;
  recordSize: number;
  throughput: number | undefined;
  acks: Acks;
  batchBytes: number | undefined;
  lingerMs: number | undefined;
  maxInFlight: number | undefined;
  /**
   * Record bytes (keys and values, with a record's overhead) sent and not yet acknowledged, per
   * connection; default {@link DEFAULT_BUFFER_MEMORY}.
   */
  bufferMemory?: number | undefined;
  connections: number;
  partitions: number | undefined;
  keyCardinality: number;
  /** Records sent (and acknowledged) before the measured run starts. */
  warmupRecords: number;
  brokers: string | undefined;
  reportIntervalMs: number;
}

export async function runProduce(s: ProduceSettings, live: (line: string) => void): Promise<PerfSummary> {
  const clients: Rivulet[] = [];
  const producers: Producer[] = [];
  const first = openClient({ brokers: s.brokers, 'client-id': 'rivulet-perf' });
  const errCtx = { ...first.ctx, topic: s.topic };
  clients.push(first.client);
  for (let i = 1; i < s.connections; i++)
    clients.push(openClient({ brokers: s.brokers, 'client-id': 'rivulet-perf' }).client);
  let interval: NodeJS.Timeout | undefined;
  try {
    await explained(errCtx, () => ensureTopic(first.client, s.topic, s.partitions));
    for (const c of clients) {
      producers.push(
        c.producer({
          acks: s.acks,
          ...(s.batchBytes === undefined ? {} : { batchBytes: s.batchBytes }),
          ...(s.lingerMs === undefined ? {} : { lingerMs: s.lingerMs }),
          ...(s.maxInFlight === undefined ? {} : { maxInFlight: s.maxInFlight }),
        }),
      );
    }
    // Open every connection (and load the topic's metadata) before the clock starts.
    await explained(errCtx, () => Promise.all(clients.map((c) => c.admin().fetchTopicMetadata({ topics: [s.topic] }))));
    const value = Buffer.alloc(s.recordSize);
    randomFillSync(value);
    const cycle = messageCycle(value, s.keyCardinality);
    const keyBytes = cycle.keyBytes;
    const perSend =
      s.throughput === undefined ? SEND_RECORDS : Math.max(1, Math.min(SEND_RECORDS, Math.floor(s.throughput / 200)));
    const bucket =
      s.throughput === undefined ? undefined : new TokenBucket(s.throughput, Math.max(perSend, s.throughput / 20));
    const recordBytes = s.recordSize + keyBytes;
    const bufferMemory = s.bufferMemory ?? DEFAULT_BUFFER_MEMORY;
    const maxOutstanding = Math.max(perSend, Math.floor(bufferMemory / Math.max(1, recordBytes + 24)));
    const outstanding = new Array<number>(producers.length).fill(0);
    let inFlight = 0;
    /** The most records sent and not yet acknowledged at once, over every connection (measured run). */
    let peakInFlight = 0;
    let failure: unknown;
    let wake: (() => void) | undefined;
    const notify = () => {
      const w = wake;
      wake = undefined;
      w?.();
    };
    const waitForAck = () =>
      new Promise<void>((resolve) => {
        wake = resolve;
      });
    let sent = 0;
    let conn = 0;

    /** Sends `count` more records, each send's latency going to `reporter`, and waits for every acknowledgement. */
    const pump = async (count: number, reporter: PerfReporter): Promise<void> => {
      const end = sent + count;
      while (sent < end && failure === undefined) {
        const n = Math.min(perSend, end - sent);
        // The next connection with room; wait for an acknowledgement when none has.
        let c = -1;
        for (let tries = 0; tries < producers.length; tries++) {
          const i = (conn + tries) % producers.length;
          if (outstanding[i]! + n <= maxOutstanding) {
            c = i;
            break;
          }
        }
        if (c < 0) {
          await waitForAck();
          continue;
        }
        conn = (c + 1) % producers.length;
        if (bucket !== undefined) await bucket.take(n);
        // Let the event loop run between sends: acknowledgements are I/O, and a run of sends that
        // only awaits resolved promises (tokens saved up, room in flight) would keep them waiting
        // and count that wait as latency.
        await new Promise<void>((resolve) => setImmediate(resolve));
        const messages = sliceCycle(cycle, sent, n);
        const bytes = n * recordBytes;
        outstanding[c]! += n;
        inFlight += n;
        if (inFlight > peakInFlight) peakInFlight = inFlight;
        sent += n;
        const t0 = performance.now();
        producers[c]!.send({ topic: s.topic, messages, acks: s.acks }).then(
          () => {
            const us = (performance.now() - t0) * 1000;
            outstanding[c]! -= n;
            inFlight -= n;
            reporter.add(n, bytes, us);
            notify();
          },
          (err: unknown) => {
            outstanding[c]! -= n;
            inFlight -= n;
            failure ??= err;
            notify();
          },
        );
      }
      while (inFlight > 0) await waitForAck();
    };

    if (s.warmupRecords > 0) {
      live(`warming up: ${s.warmupRecords} records, not measured`);
      await pump(s.warmupRecords, new PerfReporter('sent', () => {}));
    }
    // The client's own event loop: a stall here delays acknowledgements as much as one in the broker.
    peakInFlight = 0;
    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
    const start = performance.now();
    const reporter = new PerfReporter('sent', live, start);
    interval = setInterval(() => reporter.tick(inFlight), s.reportIntervalMs);
    if (failure === undefined) await pump(s.records, reporter);
    const elapsed = performance.now() - start;
    loopDelay.disable();
    clearInterval(interval);
    interval = undefined;
    if (failure !== undefined) throw explainClientError(failure, errCtx);
    if (elapsed >= s.reportIntervalMs) reporter.tick(0);
    // Delays past the 10 ms sampling period, in milliseconds.
    const loopMs = (ns: number) => Math.round(Math.max(0, ns / 1e6 - 10) * 100) / 100;
    return reporter.summary('produce', s.topic, elapsed, {
      recordSize: s.recordSize,
      acks: String(s.acks),
      throughput: s.throughput ?? null,
      batchBytes: s.batchBytes ?? null,
      lingerMs: s.lingerMs ?? null,
      maxInFlight: s.maxInFlight ?? null,
      bufferMemory,
      connections: s.connections,
      partitions: s.partitions ?? null,
      keyCardinality: s.keyCardinality,
      recordsPerSend: perSend,
      warmupRecords: s.warmupRecords,
      peakInFlightRecords: peakInFlight,
      clientLoopDelayP99Ms: loopMs(loopDelay.percentile(99)),
      clientLoopDelayMaxMs: loopMs(loopDelay.max),
    });
  } finally {
    clearInterval(interval);
    await Promise.allSettled(producers.map((p) => p.close()));
    await Promise.allSettled(clients.map((c) => c.close()));
  }
}

/** Creates the topic with `partitions` partitions, or checks an existing one has that many. */
async function ensureTopic(client: Rivulet, topic: string, partitions: number | undefined): Promise<void> {
  const admin = client.admin();
  const created = await admin.createTopics({
    topics: [partitions === undefined ? { topic } : { topic, numPartitions: partitions }],
  });
  if (created || partitions === undefined) return;
  const meta = await admin.fetchTopicMetadata({ topics: [topic] });
  const have = meta.topics.find((t) => t.name === topic)?.partitions.length ?? 0;
  if (have !== partitions) {
    throw new CliError(`topic '${topic}' already exists with ${have} partitions, not ${partitions}: use another topic`);
  }
}

/**
 * The messages, in the order they are sent: every record carries the same value; with keys, record
 * i has key `key-<i mod K>` (zero-padded, so every key has the same size). The list repeats every
 * `period` records and is long enough that any send's records are one slice of it.
 */
interface MessageCycle {
  messages: Message[];
  period: number;
  keyBytes: number;
}

function messageCycle(value: Buffer, keyCardinality: number): MessageCycle {
  if (keyCardinality === 0) {
    return { messages: new Array<Message>(SEND_RECORDS).fill({ key: null, value }), period: 1, keyBytes: 0 };
  }
  const width = String(keyCardinality - 1).length;
  const keys = Array.from({ length: keyCardinality }, (_, i) => ({
    key: Buffer.from(`key-${String(i).padStart(width, '0')}`),
    value,
  }));
  const messages: Message[] = [];
  for (let i = 0; i < keyCardinality + SEND_RECORDS; i++) messages.push(keys[i % keyCardinality]!);
  return { messages, period: keyCardinality, keyBytes: 4 + width };
}

function sliceCycle(cycle: MessageCycle, from: number, n: number): Message[] {
  const at = from % cycle.period;
  return cycle.messages.slice(at, at + n);
}
