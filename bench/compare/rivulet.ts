/**
 * Rivulet through its own SDK, the code of `rivulet perf` (src/cli/perf): one producer connection,
 * sends of 1000 records (each record's latency is its send's, send() to acknowledgement), a topic
 * of 8 partitions, keyless records (sticky partitioning); consumed by explicit assignment of every
 * partition from the beginning. The broker runs as its own process with its defaults (fdatasync
 * before answering acks=all), except a smaller segment size: the default 1 GiB is preallocated per
 * partition, 8 GiB of disk for a benchmark that writes 110 MB.
 */
import { fileURLToPath } from 'node:url';
import { runConsume } from '../../src/cli/perf/consume.js';
import { DEFAULT_BUFFER_MEMORY, runProduce } from '../../src/cli/perf/produce.js';
import { freePort, start, type Started, tempDir, waitForPort } from './proc.js';
import { ownCpuSeconds, type PhaseResult, type Workload } from './types.js';

export const RIVULET_TOPIC = 'bench';
export const RIVULET_PARTITIONS = 8;
const SEGMENT_BYTES = 128 * 1024 * 1024;
const MAIN = fileURLToPath(new URL('../../src/cli/bin.cjs', import.meta.url));

export async function startRivulet(): Promise<{ started: Started; port: number }> {
  const port = await freePort();
  const dir = await tempDir('rivulet');
  const started = start(process.execPath, [
    MAIN,
    'broker',
    '--port',
    String(port),
    '--data-dir',
    dir,
    '--segment-bytes',
    String(SEGMENT_BYTES),
  ]);
  await waitForPort(port, started);
  return { started, port };
}

export async function produceRivulet(w: Workload, acks: 'all' | 1): Promise<PhaseResult> {
  const cpu0 = ownCpuSeconds();
  const s = await runProduce(
    {
      topic: RIVULET_TOPIC,
      records: w.records,
      recordSize: w.recordSize,
      throughput: undefined,
      acks,
      batchBytes: undefined,
      lingerMs: undefined,
      maxInFlight: undefined,
      connections: 1,
      partitions: RIVULET_PARTITIONS,
      keyCardinality: 0,
      // None: the peers get no warm-up either.
      warmupRecords: 0,
      brokers: `ws://127.0.0.1:${w.port}`,
      reportIntervalMs: 3_600_000,
    },
    () => {},
  );
  return {
    records: s.records,
    bytes: s.bytes,
    elapsedMs: s.elapsedMs,
    p50Ms: s.latencyMs.p50,
    p99Ms: s.latencyMs.p99,
    latencyOf: `a send() of 1000 records to its acknowledgement (up to ${DEFAULT_BUFFER_MEMORY / 2 ** 20} MiB, about ${(
      Math.round(DEFAULT_BUFFER_MEMORY / (w.recordSize + 24) / 1000) * 1000
    ).toLocaleString('en-US')} records, outstanding)`,
    clientCpuSeconds: ownCpuSeconds() - cpu0,
  };
}

export async function consumeRivulet(w: Workload): Promise<PhaseResult> {
  const cpu0 = ownCpuSeconds();
  const s = await runConsume(
    {
      topic: RIVULET_TOPIC,
      records: w.records,
      group: undefined,
      brokers: `ws://127.0.0.1:${w.port}`,
      timeoutMs: 30_000,
      reportIntervalMs: 3_600_000,
    },
    () => {},
  );
  return { records: s.records, bytes: s.bytes, elapsedMs: s.elapsedMs, clientCpuSeconds: ownCpuSeconds() - cpu0 };
}
