/**
 * The bare link Rivulet rides on: `node dist/bench/scale/ws-link.js [--trials 2] [--mb 1024]
 * [--frame 65536]`. A uWebSockets.js server in a child process that counts and drops binary
 * messages (no echo); a `ws` client (same options as the SDK's Node transport: no compression)
 * sends `frame`-byte binary frames as fast as its backpressure allows (keeps ws.bufferedAmount
 * under 4 MiB), `mb` MiB in all, and the clock stops when the server says it has every byte.
 * With `--child` it is the server. Each trial runs the link, then `rivulet perf produce` of 1 KiB
 * records (8 partitions, one connection, acks=all and acks=1) against a fresh broker, and the
 * ratio is taken within the trial (the machine's other load drifts between trials). Each trial ends
 * with the disk's own ceiling for synced writes (disk-ceiling.ts), which bounds acks=all.
 */

import uWS from 'uWebSockets.js';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { type DiskCeiling, durableWriteCeiling } from './disk-ceiling.js';
import {
  arg,
  cleanup,
  fmt1,
  fmt2,
  machineLine,
  type PerfRun,
  perf,
  procCpu,
  produceArgs,
  startBroker,
  track,
} from './lib.js';

if (process.argv.includes('--child')) {
  const port = Number(arg('port', '0'));
  let bytes = 0;
  uWS
    .App()
    .ws('/*', {
      maxPayloadLength: 16 * 1024 * 1024,
      compression: uWS.DISABLED,
      message: (ws, msg, isBinary) => {
        if (!isBinary) {
          ws.send(String(bytes));
          return;
        }
        bytes += msg.byteLength;
      },
    })
    .listen('127.0.0.1', port, (tok) => {
      process.send?.(tok ? 'listening' : 'failed');
    });
} else {
  const trials = Number(arg('trials', '2'));
  const mib = Number(arg('mb', '1024'));
  const frame = Number(arg('frame', '65536'));
  const port = 19380 + (process.pid % 15);
  const server = track(
    spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', '--port', String(port)], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const results: { gbps: number; clientCpu: number; serverCpu: number; s: number }[] = [];
  const perfRuns: { acks: string; trial: number; r: PerfRun }[] = [];
  const disks: DiskCeiling[] = [];
  // As many bytes as the bare link moves, so start-up (connections, JIT, first segment pages) weighs
  // the same on both sides; no warm-up is excluded.
  const n = Math.floor((mib * 1024 * 1024) / 1024);
  try {
    await new Promise<void>((res, rej) => {
      server.once('message', (m) => (m === 'listening' ? res() : rej(new Error('uWS server did not listen'))));
      setTimeout(() => rej(new Error('uWS server timeout')), 10_000);
    });
    const total = mib * 1024 * 1024;
    const payload = Buffer.alloc(frame, 7);
    for (let t = 0; t < trials; t++) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`, {
        perMessageDeflate: false,
        generateMask: (mask: Uint8Array) => {
          mask.fill(0);
        },
      });
      await new Promise<void>((res, rej) => {
        ws.once('open', () => res());
        ws.once('error', rej);
      });
      // Reset the server's count: ask for it, then measure from here.
      const ask = () =>
        new Promise<number>((res) => {
          ws.once('message', (d) => res(Number(d.toString())));
          ws.send('?');
        });
      const base = await ask();
      const s0 = procCpu(server.pid!);
      const c0 = process.cpuUsage();
      const start = performance.now();
      let sent = 0;
      await new Promise<void>((res) => {
        const pump = () => {
          while (sent < total && ws.bufferedAmount < 4 * 1024 * 1024) {
            ws.send(payload, { binary: true });
            sent += frame;
          }
          if (sent >= total) res();
          else setImmediate(pump);
        };
        pump();
      });
      let got = 0;
      const deadline = performance.now() + 60_000;
      while (got < total && performance.now() < deadline) got = (await ask()) - base;
      const secs = (performance.now() - start) / 1000;
      const c = process.cpuUsage(c0);
      const s1 = procCpu(server.pid!);
      if (got < total) throw new Error(`server counted ${got} of ${total} bytes`);
      results.push({
        gbps: total / secs / 1e9,
        clientCpu: (c.user + c.system) / 1e6 / secs,
        serverCpu: (s1 - s0) / secs,
        s: secs,
      });
      console.error(`ws → uWS: ${(total / secs / 1e9).toFixed(2)} GB/s`);
      ws.close();
      // Rivulet right after the link, in the same trial: the machine's other load drifts, and a
      // ratio of runs minutes apart would measure the drift.
      for (const acks of ['all', '1']) {
        // The broker's defaults (1 GiB segments), as the goal is stated.
        const b = await startBroker(undefined);
        try {
          const r = await perf(b, produceArgs(n, 1024, ['--acks', acks]));
          perfRuns.push({ acks, trial: t, r });
          console.error(`rivulet acks=${acks} 1 KiB: ${fmt1(r.mbPerSec)} MB/s`);
        } finally {
          await b.stop();
        }
      }
      // And what the disk itself takes when each write is synced (acks=all cannot beat it).
      disks.push(await durableWriteCeiling(8, 1024 * 1024, mib * 1024 * 1024));
      console.error(`disk, 1 MiB writes each fdatasync'd, 8 files: ${fmt2(disks[t]!.gbps)} GB/s`);
    }
    server.kill('SIGTERM');
  } finally {
    cleanup();
  }
  const rng = (xs: number[], f: (n: number) => string) =>
    xs.length ? `${f(Math.min(...xs))}–${f(Math.max(...xs))}` : '–';
  console.log(`\n${machineLine()}\n`);
  console.log(`### The bare link vs Rivulet produce (${mib} MiB in ${frame}-byte frames; ${n} × 1 KiB records)\n`);
  console.log('| path | GB/s (10^9 B/s) | sender CPU (cores) | receiver CPU (cores) |');
  console.log('|---|---:|---:|---:|');
  console.log(
    `| ws client → uWS sink, ${frame} B binary frames | ${rng(
      results.map((r) => r.gbps),
      fmt2,
    )} | ${rng(
      results.map((r) => r.clientCpu),
      fmt2,
    )} | ${rng(
      results.map((r) => r.serverCpu),
      fmt2,
    )} |`,
  );
  for (const acks of ['all', '1']) {
    const rs = perfRuns.filter((p) => p.acks === acks).map((p) => p.r);
    console.log(
      `| rivulet perf produce 1 KiB, acks=${acks} | ${rng(
        rs.map((r) => r.mbPerSec / 1000),
        (x) => x.toFixed(3),
      )} | ${rng(
        rs.map((r) => r.clientCpu / (r.wallMs / 1000)),
        fmt2,
      )} | ${rng(
        rs.map((r) => r.brokerCpu / (r.wallMs / 1000)),
        fmt2,
      )} |`,
    );
  }
  console.log(
    `| disk: 1 MiB writes, each fdatasync'd, 8 files at once (the acks=all ceiling) | ${rng(
      disks.map((d) => d.gbps),
      fmt2,
    )} | | |`,
  );
  // Each trial's Rivulet runs against that trial's link (and disk), then the median of those ratios.
  const ratioLine = (what: string, acks: string, base: (trial: number) => number | undefined) => {
    const ratios = perfRuns
      .filter((p) => p.acks === acks && base(p.trial) !== undefined)
      .map((p) => p.r.mbPerSec / 1000 / base(p.trial)!);
    if (ratios.length === 0) return;
    const sorted = [...ratios].sort((a, b) => a - b);
    const median = sorted[Math.floor((sorted.length - 1) / 2)]! / 2 + sorted[Math.ceil((sorted.length - 1) / 2)]! / 2;
    console.log(
      `\nRivulet acks=${acks} / ${what}, trial by trial: ${ratios.map((x) => x.toFixed(3)).join(', ')}; median ${median.toFixed(3)}.`,
    );
  };
  for (const acks of ['all', '1']) ratioLine('bare link', acks, (t) => results[t]?.gbps);
  ratioLine('disk ceiling', 'all', (t) => disks[t]?.gbps);
}
