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
import { loadavg } from 'node:os';
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
/** Each system runs this many times, interleaved; the table shows the median and the spread. */
const DEFAULT_TRIALS = 3;
const MAX_TRIALS = 15;
const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));

interface Options {
  records: number;
  trials: number;
  write: boolean;
  only: Set<string> | undefined;
}

function parseOptions(argv: string[]): Options {
  const o: Options = { records: DEFAULT_RECORDS, trials: DEFAULT_TRIALS, write: false, only: undefined };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--write') o.write = true;
    else if (a === '--records') {
      const n = Number(argv[++i]);
      if (!Number.isSafeInteger(n) || n < MIN_RECORDS || n > MAX_RECORDS) {
        throw new Error(`--records must be an integer from ${MIN_RECORDS} to ${MAX_RECORDS}`);
      }
      o.records = n;
    } else if (a === '--trials') {
      const n = Number(argv[++i]);
      if (!Number.isSafeInteger(n) || n < 1 || n > MAX_TRIALS)
        throw new Error(`--trials must be an integer from 1 to ${MAX_TRIALS}`);
      o.trials = n;
    } else if (a === '--only') {
      o.only = new Set((argv[++i] ?? '').split(',').filter((s) => s !== ''));
    } else if (a === '--help' || a === '-h') {
      process.stdout.write(
        'Usage: npm run bench:compare -- [--records N] [--trials T] [--write] [--only rivulet-all,rivulet-1,redis,nats]\n',
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

async function phase(
  server: Started,
  peer: string,
  name: 'produce' | 'consume',
  port: number,
  records: number,
): Promise<Phase> {
  const pid = server.child.pid!;
  try {
    const { result, proc } = await sampled(pid, () =>
      runWorker<PhaseResult>(
        WORKER,
        [peer, name, String(port), String(records), String(RECORD_SIZE)],
        phaseTimeoutMs(records),
      ),
    );
    log(`${peer} ${name}: ${Math.round(result.records / (result.elapsedMs / 1000))} records/s`);
    return { result, cpuSeconds: proc.cpuSeconds, maxRssBytes: proc.maxRssBytes };
  } catch (err) {
    const message = (err as Error).message;
    log(`${peer} ${name} failed: ${message}`);
    return { error: message.split('\n').find((l) => l.trim() !== '') ?? message };
  }
}

/** One system of the table: one trial starts a fresh server, runs the phases and stops it. */
interface System {
  label: string;
  trial(records: number): Promise<Row>;
}

/** A server with a produce phase then a consume phase, each a worker process. */
function clientSystem(
  peer: string,
  label: string,
  startServer: () => Promise<{ started: Started; port: number }>,
): System {
  return {
    label,
    async trial(records) {
      log(`${label}: starting`);
      let server: { started: Started; port: number } | undefined;
      try {
        server = await startServer();
        const produce = await phase(server.started, peer, 'produce', server.port, records);
        const consume =
          produce.result === undefined
            ? { error: 'skipped: produce failed' }
            : await phase(server.started, peer, 'consume', server.port, records);
        return { system: label, produce, consume };
      } catch (err) {
        log(`${label} failed: ${(err as Error).message}`);
        return { system: label, skipped: (err as Error).message.split('\n')[0] ?? 'failed' };
      } finally {
        if (server !== undefined) await stop(server.started.child);
      }
    },
  };
}

/** redis-benchmark's XADD against a fresh server of its own: Redis's ceiling without Node. */
function redisCeiling(serverBin: string, benchBin: string): System {
  const label = 'Redis Streams, redis-benchmark -P 1000 (C client, 50 connections)';
  return {
    label,
    async trial(records) {
      log(`${label}: starting`);
      let server: { started: Started; port: number } | undefined;
      try {
        server = await startRedis(serverBin);
        const b = start(benchBin, redisBenchmarkArgs(server.port, records, RECORD_SIZE));
        const timer = setTimeout(() => b.child.kill('SIGKILL'), phaseTimeoutMs(records));
        const { proc } = await sampled(server.started.child.pid!, async () => {
          await new Promise<void>((resolve) => b.child.once('close', () => resolve()));
        }).finally(() => clearTimeout(timer));
        const rate = parseRedisBenchmark(b.output());
        if (rate === undefined)
          return { system: label, skipped: `no rate in its output: ${b.output().trim().slice(-200)}` };
        log(`redis-benchmark: ${rate} requests/s`);
        const result: PhaseResult = {
          records,
          bytes: records * RECORD_SIZE,
          elapsedMs: (records / rate) * 1000,
          clientCpuSeconds: Number.NaN,
        };
        return { system: label, produce: { result, cpuSeconds: proc.cpuSeconds, maxRssBytes: proc.maxRssBytes } };
      } catch (err) {
        return { system: label, skipped: (err as Error).message.split('\n')[0] ?? 'failed' };
      } finally {
        if (server !== undefined) await stop(server.started.child);
      }
    },
  };
}

const phaseRate = (p: Phase | undefined) =>
  p?.result === undefined ? undefined : p.result.records / (p.result.elapsedMs / 1000);

/** The trial with the median rate of a phase, with every trial's rate kept for the spread. */
function medianPhase(phases: (Phase | undefined)[]): Phase | undefined {
  const ok = phases.filter((p): p is Phase => p?.result !== undefined).sort((a, b) => phaseRate(a)! - phaseRate(b)!);
  if (ok.length === 0) return phases.find((p) => p !== undefined);
  const median = ok[Math.floor((ok.length - 1) / 2)]!;
  const failed = phases.length - ok.length;
  return {
    ...median,
    rates: ok.map((p) => phaseRate(p)!),
    ...(failed > 0 ? { error: `${failed} of ${phases.length} trials failed` } : {}),
  };
}

function combine(label: string, trials: Row[]): Row {
  const ran = trials.filter((t) => t.skipped === undefined);
  if (ran.length === 0) return trials[0] ?? { system: label, skipped: 'not run' };
  const produce = medianPhase(ran.map((t) => t.produce));
  const consume = medianPhase(ran.map((t) => t.consume));
  return { system: label, ...(produce ? { produce } : {}), ...(consume ? { consume } : {}) };
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const want = (p: string) => opts.only === undefined || opts.only.has(p);
  log(`${opts.records} records of ${RECORD_SIZE} bytes per system, ${opts.trials} trial(s), interleaved`);
  const loadAtStart = loadavg()[0]!;
  const bins = ensureBinaries(log);
  for (const n of bins.notes) log(n);
  const systems: System[] = [];
  const skipped: Row[] = [];
  if (want('rivulet-all')) systems.push(clientSystem('rivulet-all', 'Rivulet, acks=all (fdatasync)', startRivulet));
  if (want('rivulet-1')) systems.push(clientSystem('rivulet-1', 'Rivulet, acks=1', startRivulet));
  if (want('redis')) {
    const label = 'Redis Streams (ioredis, AOF everysec)';
    const server = bins.redisServer;
    if (server === undefined) skipped.push({ system: label, skipped: 'redis-server not installed' });
    else {
      systems.push(clientSystem('redis', label, () => startRedis(server)));
      if (bins.redisBenchmark !== undefined) systems.push(redisCeiling(server, bins.redisBenchmark));
    }
  }
  if (want('nats')) {
    const label = 'NATS JetStream (nats.js, file store)';
    const server = bins.natsServer;
    if (server === undefined) skipped.push({ system: label, skipped: 'nats-server not installed' });
    else systems.push(clientSystem('nats', label, () => startNats(server)));
  }
  // Trial 1 of every system, then trial 2, …: a noisy spell on the machine hits every system alike.
  const trials: Row[][] = systems.map(() => []);
  for (let t = 0; t < opts.trials; t++) {
    for (let i = 0; i < systems.length; i++) trials[i]!.push(await systems[i]!.trial(opts.records));
  }
  const rows = [...systems.map((sys, i) => combine(sys.label, trials[i]!)), ...skipped];
  const versions = {
    node: process.version,
    redis: versionOf(bins.redisServer),
    nats: versionOf(bins.natsServer),
    rivulet: await rivuletVersion(),
  };
  const report = renderReport({
    date: new Date(),
    records: opts.records,
    trials: opts.trials,
    recordSize: RECORD_SIZE,
    machine: machine(),
    load: [loadAtStart, loadavg()[0]!],
    versions,
    rows,
    notes: bins.notes,
  });
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
  const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  const sha = spawnSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).stdout?.trim();
  return sha ? `${pkg.version} (${sha})` : pkg.version;
}

let exiting = false;
for (const [signal, code] of [
  ['SIGINT', 130],
  ['SIGTERM', 143],
] as const) {
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
