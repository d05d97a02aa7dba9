/**
 * `npm run bench`: every micro-benchmark in one run, each group in a fresh process (so one
 * group's garbage and JIT state can't colour another's), then one table with derived rates and the
 * ratios the project's goals are stated in. Ratios compare tasks measured in the same run; the
 * absolute figures move with whatever else this shared machine is doing.
 *
 *   npm run bench                     all groups
 *   npm run bench -- codec native     some groups
 *   npm run bench -- --json           machine-readable
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';

interface TaskFigure {
  group: string;
  name: string;
  opsPerSec: number;
  meanUs: number;
  medianUs: number;
  samples: number;
}

const GROUPS = ['codec', 'native', 'log', 'broker'] as const;
type Group = (typeof GROUPS)[number];
const TIME_MS = Number(process.env.RIVULET_BENCH_TIME_MS ?? 1000);

async function runGroup(group: Group): Promise<TaskFigure[]> {
  const bench = new Bench({ name: group, time: TIME_MS, warmupTime: 200 });
  const tmpDir = mkdtempSync(path.join(os.tmpdir(), `rivulet-bench-${group}-`));
  let cleanup: (() => Promise<void>) | undefined;
  try {
    if (group === 'codec') (await import('./cases/codec.js')).addCodecCases(bench);
    if (group === 'native') await (await import('./cases/native.js')).addNativeCases(bench, { tmpDir });
    if (group === 'log') cleanup = (await import('./cases/log.js')).addLogCases(bench);
    if (group === 'broker') cleanup = await (await import('./cases/broker.js')).addBrokerCases(bench);
    await bench.run();
  } finally {
    await cleanup?.();
    rmSync(tmpDir, { recursive: true, force: true });
  }
  return bench.tasks.map((task) => {
    const r = task.result as unknown as { throughput?: { mean: number }; latency?: { mean: number; p50?: number; samplesCount?: number }; period?: number };
    // Operations per second from the mean latency (total time / runs), not tinybench's mean of
    // instantaneous rates, which a heavy tail (page faults, GC) would hide.
    const meanMs = r.latency?.mean ?? 0;
    const ops = meanMs > 0 ? 1000 / meanMs : 0;
    return {
      group,
      name: task.name,
      opsPerSec: ops,
      meanUs: meanMs * 1000,
      medianUs: (r.latency?.p50 ?? 0) * 1000,
      samples: r.latency?.samplesCount ?? 0,
    };
  });
}

/** Bytes one op covers, read from the task name ("bytes/op = N", "16 KiB", "1 MiB"). */
function bytesPerOp(name: string): number | undefined {
  const exact = /bytes\/op[ =≤]+(\d+)/.exec(name);
  if (exact) return Number(exact[1]);
  const sized = /(\d+) (KiB|MiB)/.exec(name);
  if (sized) return Number(sized[1]) * (sized[2] === 'KiB' ? 1024 : 1024 * 1024);
  return undefined;
}

function recordsPerOp(name: string): number | undefined {
  const m = /records\/op = (\d+)/.exec(name);
  return m ? Number(m[1]) : undefined;
}

function fmt(n: number): string {
  if (n >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(1);
}

function find(all: TaskFigure[], prefix: string): TaskFigure | undefined {
  return all.find((t) => t.name.startsWith(prefix));
}

function ratios(all: TaskFigure[]): Array<[string, number | undefined, string]> {
  const r = (a: string, b: string) => {
    const x = find(all, a);
    const y = find(all, b);
    return x && y && y.opsPerSec > 0 ? x.opsPerSec / y.opsPerSec : undefined;
  };
  const byMedian = (a: string, b: string) => {
    const x = find(all, a);
    const y = find(all, b);
    return x && y && x.medianUs > 0 ? y.medianUs / x.medianUs : undefined;
  };
  return [
    ['native append 16 KiB / Buffer copy ceiling (by mean)', r('native Segment.append:', 'ceiling: Buffer copy'), 'goal ≥ 0.50'],
    ['native append 16 KiB / Buffer copy ceiling (by median)', byMedian('native Segment.append:', 'ceiling: Buffer copy'), ''],
    ['  the same, 16 per op (by mean)', r('native Segment.append ×16', 'ceiling ×16'), 'goal ≥ 0.50'],
    ['  the same, 16 per op (by median)', byMedian('native Segment.append ×16', 'ceiling ×16'), ''],
    ['native append while flushed often (pwrite path) / Buffer copy ceiling (by mean)', r('native Segment.append while flushed often (', 'ceiling: Buffer copy'), ''],
    ['  checked in place / copied first (from a SharedArrayBuffer), by mean', r('native Segment.append while flushed often (', 'native Segment.append while flushed often, from'), ''],
    ['  the same, by median', byMedian('native Segment.append while flushed often (', 'native Segment.append while flushed often, from'), ''],
    ['native append 16 KiB / cache-resident copy (by mean; not the ruler)', r('native Segment.append:', 'cache-resident copy:'), ''],
    ['  the same, 16 per op (by mean)', r('native Segment.append ×16', 'cache-resident copy ×16'), ''],
    ['native CRC-32C / TypeScript CRC-32C, 16 KiB', r('native crc32c (', 'TypeScript crc32c: 16 KiB'), 'goal ≥ 10'],
    ['  the same, 16 per op', r('native crc32c ×16', 'TypeScript crc32c ×16'), 'goal ≥ 10'],
    ['native CRC-32C / TypeScript CRC-32C, 1 MiB', (() => {
      const n = all.find((t) => t.name.startsWith('native crc32c (') && t.name.endsWith('1 MiB'));
      const t = find(all, 'TypeScript crc32c: 1 MiB');
      return n && t ? n.opsPerSec / t.opsPerSec : undefined;
    })(), 'goal ≥ 10'],
    ['zero-copy read / copying read, 1 MiB', r('native Segment.read', 'copying read'), ''],
  ];
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const child = args.indexOf('--child');
  if (child >= 0) {
    const figures = await runGroup(args[child + 1] as Group);
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    return;
  }
  const json = args.includes('--json');
  const wanted = args.filter((a) => (GROUPS as readonly string[]).includes(a)) as Group[];
  const groups = wanted.length > 0 ? wanted : [...GROUPS];
  const self = fileURLToPath(import.meta.url);
  const all: TaskFigure[] = [];
  for (const group of groups) {
    if (!json) process.stderr.write(`running ${group} …\n`);
    const res = spawnSync(process.execPath, ['--expose-gc', self, '--child', group], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 << 20,
    });
    if (res.status !== 0) throw new Error(`bench group ${group} failed with status ${res.status}`);
    const lastLine = res.stdout.trim().split('\n').at(-1) ?? '[]';
    all.push(...(JSON.parse(lastLine) as TaskFigure[]));
  }
  if (json) {
    process.stdout.write(`${JSON.stringify({ tasks: all, ratios: ratios(all) }, null, 2)}\n`);
    return;
  }
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  console.log(`\n${new Date().toISOString().slice(0, 10)} · ${cpu} · ${os.cpus().length} cores · Node ${process.version}\n`);
  console.log('| group | task | ops/s (from mean) | mean | median | records/s | bytes/s |');
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: |');
  for (const t of all) {
    const b = bytesPerOp(t.name);
    const rec = recordsPerOp(t.name);
    const us = (v: number) => (v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(2)} µs`);
    console.log(
      `| ${t.group} | ${t.name} | ${fmt(t.opsPerSec)} | ${us(t.meanUs)} | ${us(t.medianUs)} | ${rec ? fmt(rec * t.opsPerSec) : ''} | ${b ? `${fmt(b * t.opsPerSec)}B/s` : ''} |`,
    );
  }
  console.log('\n| ratio (same run) | value | |');
  console.log('| --- | ---: | --- |');
  for (const [name, value, goal] of ratios(all)) {
    console.log(`| ${name} | ${value === undefined ? 'n/a' : value.toFixed(2)} | ${goal} |`);
  }
}

await main();
