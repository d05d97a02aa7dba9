/**
 * `npm run bench:compare [-- --records N] [--write]`: the same workload against Rivulet (acks=all
 * and acks=1), Redis Streams and NATS JetStream, each server on 127.0.0.1 on a free port with its
 * data in a temp dir, each client phase in a fresh Node process (worker.ts). Workload: N records of
 * 100 bytes produced to one topic (8 partitions for Rivulet, one stream for the others), then all
 * consumed. Per system: records/s and MB/s of each phase, produce latency p50/p99, the server's
 * CPU seconds (utime + stime over the phase) and largest RSS, and the ratio to Rivulet. Prints one
 * markdown table; --write also puts it in BENCHMARKS.md as a dated section. Every process and dir
 * it starts is removed at the end, on failure and on SIGINT/SIGTERM.
 */
import { fileURLToPath } from 'node:url';
import { ensureBinaries, versionOf } from './install.js';
import { cleanup, runWorker, sampled, type Started, start, stop } from './proc.js';
import { startNats } from './nats.js';
import { parseRedisBenchmark, redisBenchmarkArgs, startRedis } from './redis.js';
import { machine, type Phase, type Row, renderReport, writeBenchmarks } from './report.js';
import { startRivulet } from './rivulet.js';
import type { PhaseResult } from './types.js';

const RECORD_SIZE = 100;
const DEFAULT_RECORDS = 1_000_000;
const MIN_RECORDS = 1_000;
const MAX_RECORDS = 20_000_000;
const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

interface Options {
  records: number;
  write: boolean;
  only: Set<string> | undefined;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { records: DEFAULT_RECORDS, write: false, only: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--write') o.write = true;
    else if (a === '--records') {
      const n = Number(argv[++i]);
      if (!Number.isSafeInteger(n) || n < MIN_RECORDS || n > MAX_RECORDS) {
        throw new Error(`--records must be an integer from ${MIN_RECORDS} to ${MAX_RECORDS}`);
      }
      o.records = n;
    } else if (a === '--only') {
      o.only = new Set((argv[++i] ?? '').split(',').filter((s) => s !== ''));
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'Usage: npm run bench:compare -- [--records N] [--write] [--only rivulet-all,rivulet-1,redis,nats]\n',
      );
      process.exit(0);
    } else throw new Error(`unknown option '${a}'`);
  }
  return o;
}

/** A phase may take this long: a generous floor, plus 60 µs a record (16 k records/s at worst). */
function phaseTimeoutMs(records: number): number {
  return 60_000 + records * 0.06;
}

const log = (line: string) => process.stderr.write(`[bench:compare] ${line}\n`);

async function phase(server: Started, peer: string, name: 'produce' | 'consume', port: number, records: number): Promise<Phase> {
  const pid = server.child.pid!;
  try {
    const { result, proc } = await sampled(pid, () =>
      runWorker<PhaseResult>(WORKER, [peer, name, String(port), String(records), String(RECORD_SIZE)], phaseTimeoutMs(records)),
    );
    log(`${peer} ${name}: ${Math.round(result.records / (result.elapsedMs / 1000))} records/s`);
    return { result, cpuSeconds: proc.cpuSeconds, maxRssBytes: proc.maxRssBytes };
  } catch (err) {
    const message = (err as Error).message;
    log(`${peer} ${name} failed: ${message}`);
    return { error: message.split('\n').find((l) => l.trim() !== '') ?? message };
  }
}

async function runPeer(
  peer: string,
  label: string,
  startServer: () => Promise<{ started: Started; port: number }>,
  records: number,
  after?: (server: Started, port: number) => Promise<Row[]>,
): Promise<Row[]> {
  log(`${label}: starting`);
  let server: { started: Started; port: number } | undefined;
  try {
    server = await startServer();
    const produce = await phase(server.started, peer, 'produce', server.port, records);
    const consume = produce.result === undefined ? { error: 'skipped: produce failed' } : await phase(server.started, peer, 'consume', server.port, records);
    const extra = after === undefined ? [] : await after(server.started, server.port);
    return [{ system: label, produce, consume }, ...extra];
  } catch (err) {
    log(`${label} failed: ${(err as Error).message}`);
    return [{ system: label, skipped: (err as Error).message.split('\n')[0] ?? 'failed' }];
  } finally {
    if (server !== undefined) await stop(server.started.child);
  }
}

/** redis-benchmark against the same server (a second stream key): Redis's ceiling without Node. */
async function redisCeiling(bin: string, server: Started, port: number, records: number): Promise<Row[]> {
  const label = 'Redis Streams, redis-benchmark -P 1000 (C client, 50 connections)';
  const b = start(bin, redisBenchmarkArgs(port, records, RECORD_SIZE));
  const timer = setTimeout(() => b.child.kill('SIGKILL'), phaseTimeoutMs(records));
  try {
    const { proc } = await sampled(server.child.pid!, async () => {
      const t0 = performance.now();
      const code = await new Promise<number | null>((resolve) => b.child.once('close', (c) => resolve(c)));
      return { code, ms: performance.now() - t0 };
    });
    const rate = parseRedisBenchmark(b.output());
    if (rate === undefined) return [{ system: label, skipped: `no rate in its output: ${b.output().trim().slice(-200)}` }];
    log(`redis-benchmark: ${rate} requests/s`);
    const result: PhaseResult = { records, bytes: records * RECORD_SIZE, elapsedMs: (records / rate) * 1000, clientCpuSeconds: Number.NaN };
    return [{ system: label, produce: { result, cpuSeconds: proc.cpuSeconds, maxRssBytes: proc.maxRssBytes } }];
  } finally {
    clearTimeout(timer);
    await stop(b.child);
  }
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const want = (p: string) => opts.only === undefined || opts.only.has(p);
  log(`${opts.records} records of ${RECORD_SIZE} bytes per system`);
  const bins = ensureBinaries(log);
  for (const n of bins.notes) log(n);
  const rows: Row[] = [];
  if (want('rivulet-all')) rows.push(...(await runPeer('rivulet-all', 'Rivulet, acks=all (fdatasync)', startRivulet, opts.records)));
  if (want('rivulet-1')) rows.push(...(await runPeer('rivulet-1', 'Rivulet, acks=1', startRivulet, opts.records)));
  if (want('redis')) {
    const label = 'Redis Streams (ioredis, AOF everysec)';
    if (bins.redisServer === undefined) rows.push({ system: label, skipped: 'redis-server not installed' });
    else {
      const bench = bins.redisBenchmark;
      rows.push(
        ...(await runPeer('redis', label, () => startRedis(bins.redisServer!), opts.records, bench === undefined ? undefined : (s, port) => redisCeiling(bench, s, port, opts.records))),
      );
    }
  }
  if (want('nats')) {
    const label = 'NATS JetStream (nats.js, file store)';
    if (bins.natsServer === undefined) rows.push({ system: label, skipped: 'nats-server not installed' });
    else rows.push(...(await runPeer('nats', label, () => startNats(bins.natsServer!), opts.records)));
  }
  const versions = {
    node: process.version,
    redis: versionOf(bins.redisServer),
    nats: versionOf(bins.natsServer),
    rivulet: await rivuletVersion(),
  };
  const report = renderReport({ date: new Date(), records: opts.records, recordSize: RECORD_SIZE, machine: machine(), versions, rows, notes: bins.notes });
  process.stdout.write(`${report}\n`);
  if (opts.write) {
    const path = await writeBenchmarks(report);
    log(`written to ${path}`);
  }
  const failed = rows.some((r) => r.produce?.error !== undefined || r.consume?.error !== undefined);
  return failed ? 1 : 0;
}

async function rivuletVersion(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const { spawnSync } = await import('node:child_process');
  const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string };
  const sha = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim();
  return sha ? `${pkg.version} (${sha})` : pkg.version;
}

let exiting = false;
for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  process.on(signal, () => {
    if (exiting) process.exit(code);
    exiting = true;
    log(`${signal}: stopping every process started and removing temp dirs`);
    cleanup().finally(() => process.exit(code));
  });
}

let code = 1;
try {
  code = await main();
} catch (err) {
  log(`failed: ${(err as Error).stack ?? String(err)}`);
} finally {
  await cleanup();
}
process.exit(code);
