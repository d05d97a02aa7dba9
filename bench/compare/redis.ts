/**
 * Redis Streams from Node, driven the fastest correct way with ioredis: one connection, several
 * pipelines of PIPELINE_RECORDS XADDs in flight at once (each pipeline's records share its round
 * trip as their latency); consumed through a consumer group with XREADGROUP COUNT 1000 and one
 * XACK per batch, a few reads in flight on the same connection. The server is started with an
 * append-only file synced every second (Redis's durable-ish default for AOF), no RDB snapshots.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { Histogram } from '../../src/cli/perf/histogram.js';
import { freePort, start, type Started, tempDir, waitForPort } from './proc.js';
import { ownCpuSeconds, type PhaseResult, type Workload } from './types.js';

const STREAM = 'bench';
const GROUP = 'bench-group';
const PIPELINE_RECORDS = 1000;
const PIPELINES_IN_FLIGHT = 8;
const READS_IN_FLIGHT = 4;
const READ_COUNT = 1000;

export async function startRedis(bin: string): Promise<{ started: Started; port: number }> {
  const port = await freePort();
  const dir = await tempDir('redis');
  const started = start(bin, [
    '--port',
    String(port),
    '--bind',
    '127.0.0.1',
    '--dir',
    dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--protected-mode',
    'no',
  ]);
  await waitForPort(port, started);
  return { started, port };
}

function client(port: number): Redis {
  return new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0, enableOfflineQueue: true });
}

export async function produceRedis(w: Workload): Promise<PhaseResult> {
  const redis = client(w.port);
  await redis.ping();
  const value = randomBytes(w.recordSize);
  const h = new Histogram();
  let next = 0;
  const cpu0 = ownCpuSeconds();
  const t0 = performance.now();
  const loop = async () => {
    while (next < w.records) {
      const n = Math.min(PIPELINE_RECORDS, w.records - next);
      next += n;
      const sentAt = performance.now();
      const p = redis.pipeline();
      for (let i = 0; i < n; i++) p.xadd(STREAM, '*', 'f', value);
      const res = await p.exec();
      h.record((performance.now() - sentAt) * 1000, n);
      const failed = res?.find(([err]) => err !== null);
      if (res === null || failed !== undefined) throw new Error(`XADD failed: ${String(failed?.[0] ?? 'no result')}`);
    }
  };
  await Promise.all(Array.from({ length: PIPELINES_IN_FLIGHT }, loop));
  const elapsedMs = performance.now() - t0;
  const clientCpuSeconds = ownCpuSeconds() - cpu0;
  const len = await redis.xlen(STREAM);
  redis.disconnect();
  if (len !== w.records) throw new Error(`the stream holds ${len} entries, not ${w.records}`);
  return {
    records: w.records,
    bytes: w.records * w.recordSize,
    elapsedMs,
    p50Ms: h.percentile(50) / 1000,
    p99Ms: h.percentile(99) / 1000,
    latencyOf: `a pipeline of ${PIPELINE_RECORDS} XADDs (${PIPELINES_IN_FLIGHT} in flight)`,
    clientCpuSeconds,
  };
}

type Entry = [Buffer, Buffer[]];

export async function consumeRedis(w: Workload): Promise<PhaseResult> {
  const redis = client(w.port);
  await redis.xgroup('CREATE', STREAM, GROUP, '0');
  let records = 0;
  let bytes = 0;
  const cpu0 = ownCpuSeconds();
  const t0 = performance.now();
  const loop = async () => {
    for (;;) {
      const res = (await redis.callBuffer(
        'XREADGROUP',
        'GROUP',
        GROUP,
        'c1',
        'COUNT',
        READ_COUNT,
        'STREAMS',
        STREAM,
        '>',
      )) as [Buffer, Entry[]][] | null;
      const entries = res?.[0]?.[1];
      if (entries === undefined || entries.length === 0) return; // everything was produced first
      const ids = new Array<Buffer>(entries.length);
      for (let i = 0; i < entries.length; i++) {
        const [id, fields] = entries[i]!;
        ids[i] = id;
        bytes += fields[1]!.length;
      }
      records += entries.length;
      await redis.xack(STREAM, GROUP, ...ids);
    }
  };
  await Promise.all(Array.from({ length: READS_IN_FLIGHT }, loop));
  const elapsedMs = performance.now() - t0;
  const clientCpuSeconds = ownCpuSeconds() - cpu0;
  redis.disconnect();
  if (records !== w.records) throw new Error(`consumed ${records} entries, not ${w.records}`);
  return { records, bytes, elapsedMs, clientCpuSeconds };
}

/** redis-benchmark's XADD with pipelines of 1000: Redis's ceiling without a Node client. */
export function redisBenchmarkArgs(port: number, records: number, recordSize: number): string[] {
  return [
    '-h',
    '127.0.0.1',
    '-p',
    String(port),
    '-n',
    String(records),
    '-P',
    '1000',
    '-q',
    'XADD',
    'rb',
    '*',
    'f',
    'x'.repeat(recordSize),
  ];
}

/** The requests/s of `redis-benchmark -q` output (its last "N requests per second" figure). */
export function parseRedisBenchmark(out: string): number | undefined {
  const all = [...out.matchAll(/([\d.]+) requests per second/g)];
  const last = all[all.length - 1];
  return last === undefined ? undefined : Number(last[1]);
}
