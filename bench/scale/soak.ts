/**
 * Broker memory over a long run at full load: `node dist/bench/scale/soak.js [--duration-s 300]
 * [--partitions 8] [--record-size 100] [--segment-bytes 268435456] [--retention-bytes 1073741824]
 * [--retention-check-ms 10000] [--records-per-run 100000000] [--consume 1] [--sample-s 5]
 * [--table-every-s 30] [--warmup-s 30]`.
 *
 * One broker in a fresh process on 127.0.0.1 (data in a temp dir that is always removed), one topic
 * whose segment.bytes is small enough (256 MiB) and whose retention.bytes is bounded, so that
 * retention deletes segments during the run and the disk stays bounded; the broker's retention check
 * runs every --retention-check-ms instead of the default 5 minutes. Load: `rivulet perf produce`
 * (acks=all, one connection) in a child process, started again whenever it finishes, and a
 * `rivulet perf consume` from the beginning alongside it. Every --sample-s the broker's
 * /proc/<pid>/status (VmRSS, RssAnon, RssFile, RssShmem), its V8 heap from /metrics and the produce
 * and consume rates (deltas of rivulet_records_in/out_total) are sampled. Prints a markdown table
 * and, after the warm-up, min / max / spread of each memory figure.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, statfsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  arg,
  cleanup,
  CLI,
  fill,
  fmtK,
  fmtMiB,
  machineLine,
  metrics,
  procRss,
  sleep,
  startBroker,
  track,
} from './lib.js';

const GiB = 2 ** 30;
const durationS = Number(arg('duration-s', '300'));
const partitions = Number(arg('partitions', '8'));
const recordSize = Number(arg('record-size', '100'));
const segmentBytes = Number(arg('segment-bytes', String(256 * 2 ** 20)));
const retentionBytes = Number(arg('retention-bytes', String(GiB)));
const retentionCheckMs = Number(arg('retention-check-ms', '10000'));
const recordsPerRun = Number(arg('records-per-run', '100000000'));
const consume = arg('consume', '1') !== '0';
const sampleS = Number(arg('sample-s', '5'));
const tableEveryS = Number(arg('table-every-s', '30'));
const warmupS = Number(arg('warmup-s', '30'));
/** Broker's default segment.bytes (the topic overrides it). */
const BROKER_SEGMENT_BYTES = 1073741824;
const TOPIC = 'soak';

// Worst case per partition: retention.bytes kept, plus a closed segment awaiting the next check,
// plus the active segment (its file preallocated up to segment.bytes).
const diskBound = partitions * (retentionBytes + 2 * segmentBytes);
const fs = statfsSync(tmpdir());
const free = fs.bavail * fs.bsize;
if (diskBound > free / 2) {
  console.error(`refusing: up to ${(diskBound / GiB).toFixed(1)} GiB on disk, ${(free / GiB).toFixed(1)} GiB free`);
  process.exit(2);
}

interface Sample {
  t: number;
  rss: number;
  anon: number;
  file: number;
  shmem: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  produceRate: number;
  consumeRate: number;
  openSegments: number;
  disk: number;
  minLogStart: number;
}

/** Allocated bytes (st_blocks) of every file under dir; files deleted meanwhile are skipped. */
function diskUse(dir: string): number {
  let total = 0;
  for (const f of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!f.isFile()) continue;
    try {
      total += statSync(join(f.parentPath ?? f.path, f.name)).blocks * 512;
    } catch {}
  }
  return total;
}

/** Runs `rivulet perf <args>` again and again until `until` (performance.now()); counts the runs. */
function loop(name: string, args: string[], until: number, runs: { n: number; failures: number }) {
  let current: ChildProcess | undefined;
  let stopped = false;
  const done = (async () => {
    while (!stopped && performance.now() < until) {
      const c = track(spawn(process.execPath, [CLI, 'perf', ...args], { stdio: ['ignore', 'ignore', 'pipe'] }));
      current = c;
      let err = '';
      c.stderr!.on('data', (d) => {
        err = (err + d).slice(-2000);
      });
      const code = await new Promise<number | null>((r) => c.on('close', r));
      runs.n++;
      if (code !== 0 && !stopped) {
        runs.failures++;
        console.error(`${name} exited ${code}: ${err.trim().split('\n').slice(-3).join(' | ')}`);
        await sleep(1000);
      }
    }
  })();
  return {
    async stop() {
      stopped = true;
      current?.kill('SIGTERM');
      await done;
    },
  };
}

const samples: Sample[] = [];
const produceRuns = { n: 0, failures: 0 };
const consumeRuns = { n: 0, failures: 0 };
const startLine = machineLine();
console.error(startLine);
let diskMax = 0;
try {
  const b = await startBroker(BROKER_SEGMENT_BYTES, ['--retention-check-interval-ms', String(retentionCheckMs)]);
  try {
    await fill(b, partitions, 0, {
      topic: TOPIC,
      config: `segment.bytes=${segmentBytes},retention.bytes=${retentionBytes}`,
      timeoutMs: 60_000,
    });
    const brokers = ['--brokers', b.url, '--json'];
    const t0 = performance.now();
    const until = t0 + durationS * 1000;
    const producer = loop(
      'perf produce',
      ['produce', '--topic', TOPIC, '--records', String(recordsPerRun), '--record-size', String(recordSize)].concat(
        ['--acks', 'all', '--connections', '1'],
        brokers,
      ),
      until,
      produceRuns,
    );
    const consumer = consume
      ? loop(
          'perf consume',
          ['consume', '--topic', TOPIC, '--records', String(1e15), '--timeout-ms', '600000', ...brokers],
          until,
          consumeRuns,
        )
      : undefined;
    const key = (k: string) => `rivulet_process_memory_bytes{kind="${k}"}`;
    let prev = { at: t0, in: 0, out: 0 };
    for (let i = 1; t0 + i * sampleS * 1000 <= until; i++) {
      await sleep(t0 + i * sampleS * 1000 - performance.now());
      const m = await metrics(b.port);
      const r = procRss(b.pid);
      const at = performance.now();
      const recIn = m[`rivulet_records_in_total{topic="${TOPIC}"}`] ?? 0;
      const recOut = m[`rivulet_records_out_total{topic="${TOPIC}"}`] ?? 0;
      const starts = Object.entries(m)
        .filter(([k]) => k.startsWith('rivulet_log_start_offset{'))
        .map(([, v]) => v);
      const disk = diskUse(b.dataDir);
      diskMax = Math.max(diskMax, disk);
      const s: Sample = {
        t: (at - t0) / 1000,
        ...r,
        heapUsed: m[key('heap_used')] ?? Number.NaN,
        heapTotal: m[key('heap_total')] ?? Number.NaN,
        external: m[key('external')] ?? Number.NaN,
        produceRate: ((recIn - prev.in) * 1000) / (at - prev.at),
        consumeRate: ((recOut - prev.out) * 1000) / (at - prev.at),
        openSegments: m.rivulet_open_segments ?? Number.NaN,
        disk,
        minLogStart: starts.length > 0 ? Math.min(...starts) : Number.NaN,
      };
      prev = { at, in: recIn, out: recOut };
      samples.push(s);
      console.error(row(s));
    }
    await producer.stop();
    await consumer?.stop();
  } finally {
    await b.stop();
  }
} finally {
  cleanup();
}

function row(s: Sample): string {
  return `| ${[
    s.t.toFixed(0),
    fmtMiB(s.rss),
    fmtMiB(s.anon),
    fmtMiB(s.file),
    fmtMiB(s.shmem),
    fmtMiB(s.heapUsed),
    fmtMiB(s.heapTotal),
    fmtMiB(s.external),
    fmtK(s.produceRate),
    fmtK(s.consumeRate),
    String(s.openSegments),
    (s.disk / GiB).toFixed(2),
    fmtK(s.minLogStart),
  ].join(' | ')} |`;
}

function spread(name: string, what: string, xs: number[]): string {
  const lo = Math.min(...xs);
  const hi = Math.max(...xs);
  const drift = xs.at(-1)! / xs[0]! - 1;
  return `- **${name}**: min ${fmtMiB(lo)} MiB, max ${fmtMiB(hi)} MiB, max/min − 1 = ${((hi / lo - 1) * 100).toFixed(1)} %; first → last after warm-up ${fmtMiB(xs[0]!)} → ${fmtMiB(xs.at(-1)!)} MiB (${drift >= 0 ? '+' : ''}${(drift * 100).toFixed(1)} %). ${what}`;
}

const after = samples.filter((s) => s.t >= warmupS);
console.log(`\n${startLine} (start)\n${machineLine()} (end)\n`);
console.log(
  `Soak: ${durationS} s, topic of ${partitions} partitions with segment.bytes ${segmentBytes} and retention.bytes ${retentionBytes} (broker retention check every ${retentionCheckMs} ms), \`perf produce\` ${recordSize} B records, acks=all, one connection (${produceRuns.n} runs of up to ${recordsPerRun} records, ${produceRuns.failures} failed)${consume ? `, \`perf consume\` from the beginning alongside (${consumeRuns.n} runs, ${consumeRuns.failures} failed)` : ''}. Broker memory in MiB; rates are records/s over the preceding ${sampleS} s; disk is the allocated size of the data dir (max ${(diskMax / GiB).toFixed(2)} GiB); log start is the lowest log start offset over the partitions (> 0 once retention has deleted a segment everywhere).\n`,
);
console.log(
  '| t s | VmRSS | RssAnon | RssFile | RssShmem | heap used | heap total | external | produce rec/s | consume rec/s | open segments | disk GiB | min log start |',
);
console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
const every = Math.max(1, Math.round(tableEveryS / sampleS));
samples.forEach((s, i) => {
  if ((i + 1) % every === 0 || i === samples.length - 1) console.log(row(s));
});
if (after.length > 0) {
  const rates = after.map((s) => s.produceRate);
  console.log(
    `\nAfter the first ${warmupS} s (${after.length} samples every ${sampleS} s, t = ${after[0]!.t.toFixed(0)}–${after.at(-1)!.t.toFixed(0)} s; produce ${fmtK(Math.min(...rates))}–${fmtK(Math.max(...rates))} records/s):\n`,
  );
  console.log(
    spread(
      'RssAnon',
      "the broker's own memory: V8 heap, native allocations (malloc, uWS buffers), thread stacks.",
      after.map((s) => s.anon),
    ),
  );
  console.log(
    spread(
      'V8 heap used',
      'JS objects live or not yet collected (rivulet_process_memory_bytes{kind="heap_used"}); part of RssAnon.',
      after.map((s) => s.heapUsed),
    ),
  );
  console.log(
    spread(
      'V8 heap total',
      'heap the V8 has reserved from the OS (kind="heap_total"); part of RssAnon.',
      after.map((s) => s.heapTotal),
    ),
  );
  console.log(
    spread(
      'VmRSS',
      'total resident memory = RssAnon + RssFile + RssShmem.',
      after.map((s) => s.rss),
    ),
  );
  console.log(
    spread(
      'RssFile',
      'mapped page cache of the segments and indexes (plus the node binary and libraries): shared file pages the kernel reclaims once written back, not broker memory.',
      after.map((s) => s.file),
    ),
  );
}
