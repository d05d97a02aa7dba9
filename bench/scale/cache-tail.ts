/**
 * What `--cache-tail-bytes` buys and costs: `node dist/bench/scale/cache-tail.js [--pairs 3]
 * [--mb 4096] [--record-size 1024] [--acks all] [--tail 33554432] [--pause-s 6]`.
 *
 * Each pair runs a fresh broker without the setting, then one with it (the order alternates
 * between pairs), and against each: `rivulet perf produce` of `mb` MiB (8 partitions, one
 * connection), then `rivulet perf consume` of everything from the start (a consumer replaying
 * what the tail no longer holds reads it from disk). Between runs it waits `pause-s` seconds: on a
 * virtual machine that reports free memory to its host, pages freed by the run before are cheap to
 * reuse only for a moment, and a long-running broker does not have them. Ratios are within a pair.
 */
import { readFileSync } from 'node:fs';
import {
  arg,
  type BrokerHandle,
  cleanup,
  fmt1,
  fmt2,
  fmtK,
  fmtRange,
  machineLine,
  perf,
  produceArgs,
  sleep,
  startBroker,
} from './lib.js';

interface Run {
  mbPerSec: number;
  produceCpuPerGB: number;
  p99: number;
  consumeRecordsPerSec: number;
  consumeCpu: number;
  diskReadMiB: number;
}

function diskReadBytes(pid: number): number {
  return Number(/read_bytes: (\d+)/.exec(readFileSync(`/proc/${pid}/io`, 'utf8'))![1]);
}

async function runOnce(tail: number | null, records: number, recordSize: number, acks: string): Promise<Run> {
  const broker: BrokerHandle = await startBroker(undefined, tail === null ? [] : ['--cache-tail-bytes', String(tail)]);
  try {
    const p = await perf(broker, produceArgs(records, recordSize, ['--acks', acks]), 600_000);
    const read0 = diskReadBytes(broker.pid);
    const c = await perf(broker, ['consume', '--topic', 't', '--records', String(records)], 600_000);
    return {
      mbPerSec: p.mbPerSec,
      produceCpuPerGB: p.brokerCpu / (p.bytes / 1e9),
      p99: p.latencyMs.p99,
      consumeRecordsPerSec: c.recordsPerSec,
      consumeCpu: c.brokerCpu,
      diskReadMiB: (diskReadBytes(broker.pid) - read0) / 2 ** 20,
    };
  } finally {
    await broker.stop();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

async function main(): Promise<void> {
  const pairs = Number(arg('pairs', '3'));
  const recordSize = Number(arg('record-size', '1024'));
  const records = Math.floor((Number(arg('mb', '4096')) * 2 ** 20) / recordSize);
  const acks = arg('acks', 'all');
  const tail = Number(arg('tail', String(32 * 2 ** 20)));
  const pauseMs = Number(arg('pause-s', '6')) * 1000;
  console.log(machineLine());
  console.log(`${fmtK(records)} records of ${recordSize} B, acks=${acks}, 8 partitions; tail ${tail} bytes\n`);
  console.log(
    '| pair | setting | produce MB/s | broker CPU s per GB | p99 ms | replay records/s | replay broker CPU s | read from disk MiB |',
  );
  console.log('|---|---|---|---|---|---|---|---|');
  const off: Run[] = [];
  const on: Run[] = [];
  for (let i = 0; i < pairs; i++) {
    const order: Array<number | null> = i % 2 === 0 ? [null, tail] : [tail, null];
    for (const setting of order) {
      const r = await runOnce(setting, records, recordSize, acks);
      (setting === null ? off : on).push(r);
      console.log(
        `| ${i + 1} | ${setting === null ? 'unset' : setting} | ${fmt1(r.mbPerSec)} | ${fmt2(r.produceCpuPerGB)} | ${fmt1(r.p99)} | ${fmtK(r.consumeRecordsPerSec)} | ${fmt2(r.consumeCpu)} | ${r.diskReadMiB.toFixed(0)} |`,
      );
      await sleep(pauseMs);
    }
  }
  const ratios = (f: (r: Run) => number) => on.map((r, i) => f(r) / f(off[i]!));
  console.log('\nwith the setting / without, pair by pair:');
  for (const [name, f] of [
    ['produce MB/s', (r: Run) => r.mbPerSec],
    ['broker CPU per GB produced', (r: Run) => r.produceCpuPerGB],
    ['p99', (r: Run) => r.p99],
    ['replay records/s', (r: Run) => r.consumeRecordsPerSec],
    ['replay broker CPU', (r: Run) => r.consumeCpu],
  ] as const) {
    const xs = ratios(f);
    console.log(`- ${name}: ${xs.map(fmt2).join(', ')}; median ${fmt2(median(xs))} (range ${fmtRange(xs, fmt2)})`);
  }
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(cleanup);
