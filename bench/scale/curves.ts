/**
 * Throughput curves: `node dist/bench/scale/curves.js --curve size,partitions,connections,group,latency
 * [--trials 2] [--bytes 100000000] [--max-records 5000000]`. Every point runs in a fresh broker
 * process (127.0.0.1, data in a temp dir removed afterwards, acks=all answered after fdatasync),
 * `trials` times; a table cell is the range over trials. Beside the rates: CPU seconds of the client
 * process(es) and of the broker over the phase, divided by the phase's wall time (1.0 = one core
 * busy), and the whole machine's busy share from /proc/stat (2 cores, shared with other jobs).
 *
 * - size: 8 partitions, one producer connection; record count = bytes / size, capped at max-records.
 * - partitions: 100 B records, `bytes` / 100 of them, one connection; topic pre-created with
 *   segment.bytes 4 MiB and segment.index.bytes 64 KiB at every point (disk: each partition
 *   preallocates a segment and a spare).
 * - connections: 100 B records, 8 partitions, `perf produce --connections C`.
 * - group: 8 partitions filled evenly (acks=1) with `bytes` / 100 records of 100 B; K members
 *   (group-member.js, one process each) start consuming at the same moment; the rate is records /
 *   time until every partition's last offset was delivered. Broker heartbeat interval 100 ms.
 * - processes: 1, 2, 4 `perf produce` processes at once (one connection each), 100 B, 8 partitions,
 *   `bytes` / 100 records in all: the broker's ceiling rather than one client process's.
 * - latency: produce 100 B (8 partitions, one connection) at full speed, then at half the median
 *   rate with --throughput, for p50/p99.
 */
import { groupCurve } from './group-curve.js';
import {
  arg,
  type BrokerHandle,
  cleanup,
  fill,
  fmt1,
  fmt2,
  fmtK,
  fmtRange,
  machineCpu,
  machineLine,
  type PerfRun,
  perf,
  procCpu,
  produceArgs,
  startBroker,
} from './lib.js';

const trials = Number(arg('trials', '2'));
const totalBytes = Number(arg('bytes', '100000000'));
const maxRecords = Number(arg('max-records', '5000000'));
const curves = arg('curve', 'size,partitions,connections,group,latency').split(',');
const SEG = 16 * 1024 * 1024;

const out: string[] = [];
const say = (s: string) => {
  out.push(s);
  console.log(s);
};
const log = (s: string) => console.error(`[${new Date().toISOString().slice(11, 19)}] ${s}`);

interface Pt {
  label: string;
  runs: { produce?: PerfRun; consume?: PerfRun }[];
}
/** CPU seconds over the client process's whole life (start-up and connect included) / that wall time. */
const cpuShare = (r: PerfRun | undefined, which: 'clientCpu' | 'brokerCpu') =>
  r === undefined ? Number.NaN : r[which] / (r.wallMs / 1000);

function table(title: string, key: string, pts: Pt[], withConsume: boolean): void {
  say(`\n### ${title}\n`);
  const head = [
    key,
    'produce records/s',
    'produce MB/s',
    'produce p99 ms',
    'client CPU / broker CPU (cores)',
    'broker kernel share',
    'fdatasyncs',
    'machine busy',
  ];
  if (withConsume) head.push('consume records/s', 'consume MB/s', 'client CPU / broker CPU (cores)');
  say(`| ${head.join(' | ')} |`);
  say(`|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`);
  for (const p of pts) {
    const pr = p.runs.map((r) => r.produce!);
    const cells = [
      p.label,
      fmtRange(
        pr.map((r) => r.recordsPerSec),
        fmtK,
      ),
      fmtRange(
        pr.map((r) => r.mbPerSec),
        fmt1,
      ),
      fmtRange(
        pr.map((r) => r.latencyMs.p99),
        fmt1,
      ),
      `${fmtRange(
        pr.map((r) => cpuShare(r, 'clientCpu')),
        fmt2,
      )} / ${fmtRange(
        pr.map((r) => cpuShare(r, 'brokerCpu')),
        fmt2,
      )}`,
      fmtRange(
        pr.map((r) => (100 * r.brokerSys) / r.brokerCpu),
        (n) => `${n.toFixed(0)} %`,
      ),
      fmtRange(
        pr.map((r) => r.fsyncs),
        (n) => n.toFixed(0),
      ),
      fmtRange(
        pr.map((r) => r.machineBusy * 100),
        (n) => `${n.toFixed(0)} %`,
      ),
    ];
    if (withConsume) {
      const co = p.runs.map((r) => r.consume!);
      cells.push(
        fmtRange(
          co.map((r) => r.recordsPerSec),
          fmtK,
        ),
        fmtRange(
          co.map((r) => r.mbPerSec),
          fmt1,
        ),
        `${fmtRange(
          co.map((r) => cpuShare(r, 'clientCpu')),
          fmt2,
        )} / ${fmtRange(
          co.map((r) => cpuShare(r, 'brokerCpu')),
          fmt2,
        )}`,
      );
    }
    say(`| ${cells.join(' | ')} |`);
  }
}

async function withBroker<T>(fn: (b: BrokerHandle) => Promise<T>, extra: string[] = []): Promise<T> {
  const b = await startBroker(SEG, extra);
  try {
    return await fn(b);
  } finally {
    await b.stop();
  }
}

async function sizeCurve(): Promise<void> {
  const sizes = [10, 100, 1024, 10240, 102400];
  const pts: Pt[] = sizes.map((s) => ({
    label: `${s} B × ${Math.min(maxRecords, Math.floor(totalBytes / s))}`,
    runs: [],
  }));
  for (let t = 0; t < trials; t++) {
    for (const [i, s] of sizes.entries()) {
      const n = Math.min(maxRecords, Math.floor(totalBytes / s));
      await withBroker(async (b) => {
        const produce = await perf(b, produceArgs(n, s));
        const consume = await perf(b, ['consume', '--topic', 't', '--records', String(n)]);
        pts[i]!.runs.push({ produce, consume });
        log(
          `size ${s}: produce ${fmtK(produce.recordsPerSec)}/s ${fmt1(produce.mbPerSec)} MB/s, consume ${fmtK(consume.recordsPerSec)}/s`,
        );
      });
    }
  }
  table('Throughput against record size (8 partitions, one connection, acks=all)', 'record size × records', pts, true);
}

async function partitionsCurve(): Promise<void> {
  const counts = arg('partition-counts', '1,8,64,256').split(',').map(Number);
  const n = Math.min(maxRecords, Math.floor(totalBytes / 100));
  const pts: Pt[] = counts.map((p) => ({ label: String(p), runs: [] }));
  for (let t = 0; t < trials; t++) {
    for (const [i, p] of counts.entries()) {
      const b = await startBroker(4 * 1024 * 1024);
      try {
        await fill(b, p, 0, { config: 'segment.index.bytes=65536', timeoutMs: 60_000 });
        const produce = await perf(b, produceArgs(n, 100, [], p));
        const consume = await perf(b, ['consume', '--topic', 't', '--records', String(n)]);
        pts[i]!.runs.push({ produce, consume });
        log(`partitions ${p}: produce ${fmtK(produce.recordsPerSec)}/s, consume ${fmtK(consume.recordsPerSec)}/s`);
      } finally {
        await b.stop();
      }
    }
  }
  table(
    `Throughput against partitions (${n} × 100 B, one connection, acks=all; segment.bytes 4 MiB)`,
    'partitions',
    pts,
    true,
  );
}

async function connectionsCurve(): Promise<void> {
  const conns = [1, 2, 4, 8, 16];
  const n = Math.min(maxRecords, Math.floor(totalBytes / 100));
  const pts: Pt[] = conns.map((c) => ({ label: String(c), runs: [] }));
  for (let t = 0; t < trials; t++) {
    for (const [i, c] of conns.entries()) {
      await withBroker(async (b) => {
        const produce = await perf(b, produceArgs(n, 100, ['--connections', String(c)]));
        pts[i]!.runs.push({ produce });
        log(`connections ${c}: produce ${fmtK(produce.recordsPerSec)}/s`);
      });
    }
  }
  table(
    `Produce against producer connections (${n} × 100 B, 8 partitions, acks=all; all connections in one client process)`,
    'connections',
    pts,
    false,
  );
}

/** Several `perf produce` processes at once (one connection each), to find the broker's ceiling rather than one client's. */
async function processesCurve(): Promise<void> {
  const counts = [1, 2, 4];
  const n = Math.min(maxRecords, Math.floor(totalBytes / 100));
  const res: Record<number, { lo: number[]; hi: number[]; client: number[]; broker: number[]; busy: number[] }> = {};
  for (const k of counts) res[k] = { lo: [], hi: [], client: [], broker: [], busy: [] };
  for (let t = 0; t < trials; t++) {
    for (const k of counts) {
      await withBroker(async (b) => {
        await fill(b, 8, 0, { timeoutMs: 60_000 });
        const b0 = procCpu(b.pid);
        const m0 = machineCpu();
        const start = performance.now();
        const runs = await Promise.all(Array.from({ length: k }, () => perf(b, produceArgs(Math.floor(n / k), 100))));
        const wall = (performance.now() - start) / 1000;
        const b1 = procCpu(b.pid);
        const m1 = machineCpu();
        const r = res[k]!;
        const records = runs.reduce((a, x) => a + x.records, 0);
        // Lower bound: every record over the longest run's own clock; upper bound: the runs' rates summed.
        r.lo.push(records / (Math.max(...runs.map((x) => x.elapsedMs)) / 1000));
        r.hi.push(runs.reduce((a, x) => a + x.recordsPerSec, 0));
        r.client.push(runs.reduce((a, x) => a + x.clientCpu, 0) / wall);
        r.broker.push((b1 - b0) / wall);
        r.busy.push((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total));
        log(`processes ${k}: ${fmtK(r.lo.at(-1)!)}–${fmtK(r.hi.at(-1)!)}/s`);
      });
    }
  }
  say(
    `\n### Produce from several client processes (${n} × 100 B in all, 8 partitions, one connection each, acks=all)\n`,
  );
  say(
    '| processes | total records/s, lower bound (records / longest run) | upper bound (rates summed) | clients CPU (cores, summed) | broker CPU (cores) | machine busy |',
  );
  say('|---:|---:|---:|---:|---:|---:|');
  for (const k of counts) {
    const r = res[k]!;
    say(
      `| ${k} | ${fmtRange(r.lo, fmtK)} | ${fmtRange(r.hi, fmtK)} | ${fmtRange(r.client, fmt2)} | ${fmtRange(r.broker, fmt2)} | ${fmtRange(
        r.busy.map((x) => x * 100),
        (x) => `${x.toFixed(0)} %`,
      )} |`,
    );
  }
}

async function latencyCurve(): Promise<void> {
  const n = Math.min(maxRecords, Math.floor(totalBytes / 100));
  const full: PerfRun[] = [];
  const half: PerfRun[] = [];
  for (let t = 0; t < trials; t++) {
    await withBroker(async (b) => {
      full.push(
        await perf(b, ['produce', '--topic', 't', '--partitions', '8', '--records', String(n), '--record-size', '100']),
      );
    });
  }
  const rates = full.map((r) => r.recordsPerSec).sort((a, b) => a - b);
  const target = Math.floor(rates[Math.floor(rates.length / 2)]! / 2);
  const hn = Math.min(n, target * 10);
  for (let t = 0; t < trials; t++) {
    await withBroker(async (b) => {
      half.push(await perf(b, produceArgs(hn, 100, ['--throughput', String(target)])));
    });
  }
  say(`\n### Produce latency at full speed and at half of it (100 B, 8 partitions, one connection, acks=all)\n`);
  say('| load | records | records/s | p50 ms | p99 ms | p99.9 ms | broker CPU (cores) |');
  say('|---|---:|---:|---:|---:|---:|---:|');
  const row = (label: string, rs: PerfRun[], count: number) =>
    say(
      `| ${label} | ${count} | ${fmtRange(
        rs.map((r) => r.recordsPerSec),
        fmtK,
      )} | ${fmtRange(
        rs.map((r) => r.latencyMs.p50),
        fmt1,
      )} | ${fmtRange(
        rs.map((r) => r.latencyMs.p99),
        fmt1,
      )} | ${fmtRange(
        rs.map((r) => r.latencyMs.p999),
        fmt1,
      )} | ${fmtRange(
        rs.map((r) => cpuShare(r, 'brokerCpu')),
        fmt2,
      )} |`,
    );
  row('full speed', full, n);
  row(`--throughput ${target}`, half, hn);
}

console.error(machineLine());
say(`\n${machineLine()} (start)`);
try {
  for (const c of curves) {
    if (c === 'size') await sizeCurve();
    else if (c === 'partitions') await partitionsCurve();
    else if (c === 'connections') await connectionsCurve();
    else if (c === 'group') {
      await groupCurve({ trials, records: Math.min(maxRecords, Math.floor(totalBytes / 100)), say, log, withBroker });
    } else if (c === 'latency') await latencyCurve();
    else if (c === 'processes') await processesCurve();
    else throw new Error(`unknown curve '${c}'`);
  }
} finally {
  cleanup();
}
say(`\n${machineLine()} (end)`);
