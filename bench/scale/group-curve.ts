/**
 * The group curve of curves.ts (`--curve group`): 8 partitions filled evenly (acks=1) with
 * `records` records of 100 B; K members (group-member.js, one process each) start consuming at the
 * same moment, and the rate is records / time until every partition's last offset was delivered.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import {
  type BrokerHandle,
  CPU_PRELOAD,
  DIST,
  fill,
  fmt1,
  fmt2,
  fmtK,
  fmtRange,
  machineCpu,
  procCpu,
  sleep,
  track,
} from './lib.js';

const MEMBER = join(DIST, 'bench', 'scale', 'group-member.js');

/** What a curve takes from the runner: trial count, size, output, and a fresh broker per point. */
export interface CurveContext {
  trials: number;
  records: number;
  say(s: string): void;
  log(s: string): void;
  withBroker<T>(fn: (b: BrokerHandle) => Promise<T>, extra?: string[]): Promise<T>;
}

interface MemberMsg {
  records: number;
  early: number;
  assignment: number[];
  bytes: number;
  high: Record<number, number>;
}

export async function groupCurve(c: CurveContext): Promise<void> {
  const { trials, say, log, withBroker } = c;
  const members = [1, 2, 4, 8];
  const n = c.records;
  const rows: string[] = [];
  const res: Record<
    number,
    {
      rate: number[];
      redelivered: number[];
      client: number[];
      broker: number[];
      busy: number[];
      early: number[];
      join: number[];
    }
  > = {};
  for (const k of members)
    res[k] = { rate: [], redelivered: [], client: [], broker: [], busy: [], early: [], join: [] };
  for (let t = 0; t < trials; t++) {
    for (const k of members) {
      await withBroker(
        async (b) => {
          await fill(b, 8, n);
          const per = Math.ceil(n / 8);
          const ends = Array.from({ length: 8 }, (_, p) => (p < n % 8 || n % 8 === 0 ? per : per - 1) - 1);
          const kids: ChildProcess[] = [];
          const state: MemberMsg[] = [];
          const cpuAtExit: number[] = [];
          let ready = 0;
          await new Promise<void>((resolve, reject) => {
            const timer = setTimeout(() => reject(new Error('members did not start')), 30_000);
            for (let i = 0; i < k; i++) {
              const c = track(
                spawn(
                  process.execPath,
                  ['--import', CPU_PRELOAD, MEMBER, '--brokers', b.url, '--topic', 't', '--group', `g${t}`],
                  {
                    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
                  },
                ),
              );
              let err = '';
              c.stderr!.on('data', (d) => {
                err += d;
                const m = /__SCALE_CPU__ (\{.*\})/.exec(err);
                if (m) {
                  const j = JSON.parse(m[1]!);
                  cpuAtExit[i] = j.user + j.system;
                }
              });
              c.on('message', (m: unknown) => {
                if (m === 'ready') {
                  if (++ready === k) {
                    clearTimeout(timer);
                    resolve();
                  }
                } else state[i] = m as MemberMsg;
              });
              kids.push(c);
            }
          });
          for (const c of kids) c.send('join');
          const joinStart = performance.now();
          for (;;) {
            await sleep(20);
            const owned = state.filter((s) => s !== undefined).flatMap((s) => s.assignment);
            const stable = state.filter((s) => s !== undefined && s.assignment.length > 0).length === Math.min(k, 8);
            if (stable && owned.length === 8 && new Set(owned).size === 8) break;
            if (performance.now() - joinStart > 60_000)
              throw new Error(`group of ${k} not stable: ${JSON.stringify(state.map((s) => s?.assignment))}`);
          }
          const joinMs = performance.now() - joinStart;
          const b0 = procCpu(b.pid);
          const m0 = machineCpu();
          const start = performance.now();
          for (const c of kids) c.send('go');
          const deadline = start + 120_000;
          for (;;) {
            await sleep(20);
            const high = new Array<number>(8).fill(-1);
            for (const s of state)
              if (s) for (const [p, o] of Object.entries(s.high)) high[Number(p)] = Math.max(high[Number(p)]!, o);
            if (high.every((h, p) => h >= ends[p]!)) break;
            if (performance.now() > deadline) throw new Error(`group of ${k} did not finish: ${JSON.stringify(high)}`);
          }
          const elapsed = (performance.now() - start) / 1000;
          const b1 = procCpu(b.pid);
          const m1 = machineCpu();
          await Promise.all(
            kids.map(
              (c) =>
                new Promise<void>((r) => {
                  const kill = setTimeout(() => c.kill('SIGKILL'), 10_000);
                  c.once('exit', () => {
                    clearTimeout(kill);
                    r();
                  });
                  c.send('stop');
                }),
            ),
          );
          await sleep(50);
          const delivered = state.reduce((a, s) => a + (s?.records ?? 0), 0);
          const r0 = res[k]!;
          const early = state.reduce((a, s) => a + (s?.early ?? 0), 0);
          r0.early.push(early);
          r0.join.push(joinMs);
          const r = res[k]!;
          r.rate.push(n / elapsed);
          r.redelivered.push(delivered + early - n);
          // Client CPU includes each member's start-up and join; reported as total seconds.
          r.client.push(cpuAtExit.reduce((a, x) => a + (x ?? 0), 0));
          r.broker.push((b1 - b0) / elapsed);
          r.busy.push((m1.busy - m0.busy) / Math.max(1, m1.total - m0.total));
          log(
            `group ${k}: ${fmtK(n / elapsed)}/s in ${elapsed.toFixed(2)} s, delivered ${delivered} (+${early} before go), join ${joinMs.toFixed(0)} ms`,
          );
        },
        ['--group-heartbeat-interval-ms', '100'],
      );
    }
  }
  for (const k of members) {
    const r = res[k]!;
    rows.push(
      `| ${k} | ${fmtRange(r.rate, fmtK)} | ${fmtRange(
        r.rate.map((x) => (x * 100) / 1e6),
        fmt1,
      )} | ${fmtRange(r.redelivered, (x) => x.toFixed(0))} | ${fmtRange(r.early, (x) => x.toFixed(0))} | ${fmtRange(r.join, (x) => x.toFixed(0))} | ${fmtRange(r.client, fmt2)} | ${fmtRange(r.broker, fmt2)} | ${fmtRange(
        r.busy.map((x) => x * 100),
        (x) => `${x.toFixed(0)} %`,
      )} |`,
    );
  }
  say(`\n### Consumers in one group (${n} × 100 B on 8 partitions, one process per member, total rate)\n`);
  say(
    '| members | total records/s | MB/s | records delivered twice | delivered before the start (paused too late) | join until stable, ms (not timed) | members CPU s (total, incl. start and join) | broker CPU (cores) | machine busy |',
  );
  say('|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) say(r);
}
