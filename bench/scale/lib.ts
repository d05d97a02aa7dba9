/**
 * Shared plumbing of the scale benchmarks: a broker in a child process on 127.0.0.1 with its data
 * in a temp dir, CPU and memory read from /proc, `rivulet perf` runs in child processes with a hard
 * time limit, and cleanup of every child and temp dir on exit, failure or signal.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = fileURLToPath(new URL('.', import.meta.url));
/** dist/ */
export const DIST = resolve(HERE, '..', '..');
export const CLI = join(DIST, 'src', 'cli', 'bin.cjs');
export const CPU_PRELOAD = join(DIST, 'bench', 'scale', 'cpu-on-exit.js');
const CLK_TCK = 100;

const children = new Set<ChildProcess>();
const tempDirs = new Set<string>();

export function cleanup(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null && c.pid !== undefined) {
      try {
        c.kill('SIGKILL');
      } catch {}
    }
  }
  children.clear();
  for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
  tempDirs.clear();
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    cleanup();
    process.exit(130);
  });
}

export function tempDir(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  tempDirs.add(d);
  return d;
}
export function removeDir(d: string): void {
  rmSync(d, { recursive: true, force: true });
  tempDirs.delete(d);
}

export function track(c: ChildProcess): ChildProcess {
  children.add(c);
  c.on('exit', () => children.delete(c));
  return c;
}

/** utime + stime of a live process, seconds. */
export function procCpu(pid: number): number {
  const c = procCpuSplit(pid);
  return c.user + c.system;
}
/** utime and stime of a live process (every thread), seconds. */
export function procCpuSplit(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { user: Number(f[11]) / CLK_TCK, system: Number(f[12]) / CLK_TCK };
}

/** VmRSS (and its split) of a live process, bytes. */
export function procRss(pid: number): { rss: number; anon: number; file: number; shmem: number } {
  const s = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+) kB`, 'm').exec(s)?.[1] ?? Number.NaN) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon'), file: kb('RssFile'), shmem: kb('RssShmem') };
}

/**
 * Whole-machine CPU counters (ticks) from /proc/stat: busy, total, and I/O wait (time a CPU sat
 * idle while a disk request was outstanding, the broker's own flushes included: a run whose
 * flushes were slow shows more of it).
 */
export function machineCpu(): { busy: number; total: number; iowait: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = line.reduce((a, b) => a + b, 0);
  const idle = line[3]! + line[4]!;
  return { busy: total - idle, total, iowait: line[4]! };
}

export interface BrokerHandle {
  pid: number;
  port: number;
  url: string;
  dataDir: string;
  stop(): Promise<void>;
}

let nextPort = 19400 + (process.pid % 200);

/** A broker on a fresh data dir; `segmentBytes` undefined keeps the broker's default (1 GiB). */
export async function startBroker(segmentBytes: number | undefined, extra: string[] = []): Promise<BrokerHandle> {
  const port = nextPort++;
  const dataDir = tempDir('rivulet-scale-');
  const child = track(
    spawn(
      process.execPath,
      [
        CLI,
        'broker',
        '--port',
        String(port),
        '--host',
        '127.0.0.1',
        '--data-dir',
        dataDir,
        ...(segmentBytes === undefined ? [] : ['--segment-bytes', String(segmentBytes)]),
        ...extra,
      ],
      { stdio: ['ignore', 'ignore', 'pipe'] },
    ),
  );
  let err = '';
  child.stderr!.on('data', (d) => {
    err = (err + d).slice(-4000);
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`broker exited ${child.exitCode}: ${err}`);
    try {
      const r = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (r.ok) break;
    } catch {}
    if (Date.now() > deadline) throw new Error(`broker did not start: ${err}`);
    await sleep(100);
  }
  return {
    pid: child.pid!,
    port,
    url: `ws://127.0.0.1:${port}`,
    dataDir,
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
        await new Promise((r) => child.once('exit', r));
        clearTimeout(t);
      }
      removeDir(dataDir);
    },
  };
}

export async function metrics(port: number): Promise<Record<string, number>> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line === '') continue;
    const i = line.lastIndexOf(' ');
    out[line.slice(0, i)] = Number(line.slice(i + 1));
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export interface ChildResult {
  code: number | null;
  stdout: string;
  stderr: string;
  /** CPU seconds of the child (user + system), from the preload; NaN when missing. */
  cpu: number;
  wallMs: number;
}

/** Runs `node [--import preload] args`, killed after timeoutMs. */
export function runNode(args: string[], timeoutMs: number): Promise<ChildResult> {
  const start = performance.now();
  const child = track(
    spawn(process.execPath, ['--import', CPU_PRELOAD, ...args], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => {
    stdout += d;
  });
  child.stderr!.on('data', (d) => {
    stderr = (stderr + d).slice(-20_000);
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  return new Promise((res) => {
    child.on('close', (code) => {
      clearTimeout(timer);
      const m = /__SCALE_CPU__ (\{.*\})/.exec(stderr);
      const cpu = m ? (JSON.parse(m[1]!).user as number) + (JSON.parse(m[1]!).system as number) : Number.NaN;
      res({ code, stdout, stderr, cpu, wallMs: performance.now() - start });
    });
  });
}

export interface PerfJson {
  records: number;
  bytes: number;
  elapsedMs: number;
  recordsPerSec: number;
  mbPerSec: number;
  latencyMs: { avg: number; p50: number; p95: number; p99: number; p999: number; max: number };
}

export interface PerfRun extends PerfJson {
  /** Wall time of the client process, start to exit. */
  wallMs: number;
  clientCpu: number;
  brokerCpu: number;
  /** Broker system (kernel) CPU seconds, part of brokerCpu. */
  brokerSys: number;
  /** fdatasync calls of the broker over the run (/metrics rivulet_fdatasync_total). */
  fsyncs: number;
  /** The broker's flushes over the run, and how many of them took over 5 ms (acks=all waits for them). */
  flushes: number;
  slowFlushes: number;
  machineBusy: number;
  /** The machine's share of time in I/O wait over the run (see machineCpu). */
  machineIowait: number;
}

/**
 * Runs fill.js against `broker`: creates `topic` with `partitions` partitions (and the topic
 * `config`, `name=value,...`), then writes `records` records of `recordSize` bytes (0: create only).
 * Throws with the child's stderr when it fails.
 */
export async function fill(
  broker: BrokerHandle,
  partitions: number,
  records: number,
  opts: { recordSize?: number; config?: string; topic?: string; timeoutMs?: number } = {},
): Promise<void> {
  const args = [
    join(DIST, 'bench', 'scale', 'fill.js'),
    '--brokers',
    broker.url,
    '--topic',
    opts.topic ?? 't',
    '--partitions',
    String(partitions),
    '--records',
    String(records),
    '--record-size',
    String(opts.recordSize ?? 100),
    ...(opts.config === undefined ? [] : ['--config', opts.config]),
  ];
  const r = await runNode(args, opts.timeoutMs ?? 120_000);
  if (r.code !== 0) throw new Error(`fill.js ${args.slice(1).join(' ')} failed: ${r.stderr.slice(-800)}`);
}

/** Arguments of `perf produce`: `records` of `recordSize` bytes to `topic` with `partitions` partitions, then `extra`. */
export function produceArgs(
  records: number,
  recordSize: number | string,
  extra: string[] = [],
  partitions: number | string = 8,
  topic = 't',
): string[] {
  return [
    'produce',
    '--topic',
    topic,
    '--partitions',
    String(partitions),
    '--records',
    String(records),
    '--record-size',
    String(recordSize),
    ...extra,
  ];
}

const FLUSHES = 'rivulet_log_flush_duration_seconds_count';
const FLUSHES_UNDER_5MS = 'rivulet_log_flush_duration_seconds_bucket{le="0.005"}';

/**
 * One `rivulet perf ...` run against a broker, with the client's, the broker's and the machine's CPU
 * over the client process's whole life (so start-up and connect are included in both).
 */
export async function perf(broker: BrokerHandle, args: string[], timeoutMs = 120_000): Promise<PerfRun> {
  const before = await metrics(broker.port);
  const b0 = procCpuSplit(broker.pid);
  const m0 = machineCpu();
  const r = await runNode([CLI, 'perf', ...args, '--brokers', broker.url, '--json'], timeoutMs);
  const b1 = procCpuSplit(broker.pid);
  const m1 = machineCpu();
  const after = await metrics(broker.port);
  const delta = (key: string) => (after[key] ?? Number.NaN) - (before[key] ?? 0);
  if (r.code !== 0) throw new Error(`perf ${args.join(' ')} failed (${r.code}): ${r.stderr.slice(-1500)}`);
  const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as PerfJson;
  return {
    ...j,
    wallMs: r.wallMs,
    clientCpu: r.cpu,
    brokerCpu: b1.user + b1.system - b0.user - b0.system,
    brokerSys: b1.system - b0.system,
    fsyncs: delta('rivulet_fdatasync_total'),
    flushes: delta(FLUSHES),
    slowFlushes: delta(FLUSHES) - delta(FLUSHES_UNDER_5MS),
    machineBusy: (m1.busy - m0.busy) / Math.max(1, m1.total - m0.total),
    machineIowait: (m1.iowait - m0.iowait) / Math.max(1, m1.total - m0.total),
  };
}

export function machineLine(): string {
  const c = cpus();
  return `${new Date().toISOString()} · ${c[0]?.model ?? '?'} · ${c.length} cores · ${(totalmem() / 2 ** 30).toFixed(1)} GiB · Node ${process.version} · load average ${loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')}`;
}

export function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : def;
}

export function fmtRange(xs: number[], f: (n: number) => string): string {
  if (xs.length === 0) return '–';
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  return lo === hi ? f(lo) : `${f(lo)}–${f(hi)}`;
}
export const fmtK = (n: number) =>
  n >= 1e6 ? `${(n / 1e6).toFixed(2)} M` : n >= 1e3 ? `${(n / 1e3).toFixed(0)} k` : n.toFixed(0);
export const fmt1 = (n: number) => n.toFixed(1);
export const fmt2 = (n: number) => n.toFixed(2);
export const fmtMiB = (n: number) => `${(n / 2 ** 20).toFixed(1)}`;
