/**
 * Broker memory against partition count: `node dist/bench/scale/partitions-rss.js [--trials 2]
 * [--partitions 1,64,1024] [--records 100000] [--record-size 100] [--segment-bytes 1048576]
 * [--index-bytes 65536]`.
 * For each count, in a fresh broker process (data in a temp dir): RSS split (anon / file / shmem
 * from /proc/<pid>/status) and V8 heap used (/metrics) idle, after creating the topic, and after
 * writing records spread evenly over its partitions. Segment mappings are shared file pages, so
 * they land in RssFile/RssShmem; growth of RssAnon or heap is what the broker itself holds.
 */
import { arg, cleanup, fill, fmtMiB, machineLine, metrics, procRss, sleep, startBroker } from './lib.js';

const trials = Number(arg('trials', '2'));
const counts = arg('partitions', '1,64,1024').split(',').map(Number);
const records = Number(arg('records', '100000'));
const recordSize = Number(arg('record-size', '100'));
const segmentBytes = Number(arg('segment-bytes', String(1 << 20)));
/** segment.index.bytes of the topic (.index and .timeindex are preallocated to it; default 10 MiB). */
const indexBytes = Number(arg('index-bytes', String(64 * 1024)));
const topicConfig = `segment.index.bytes=${indexBytes}`;

interface Snap {
  anon: number;
  file: number;
  shmem: number;
  rss: number;
  heap: number;
}
async function snap(pid: number, port: number): Promise<Snap> {
  await sleep(1000);
  const m = await metrics(port);
  const r = procRss(pid);
  return { ...r, heap: m['rivulet_process_memory_bytes{kind="heap_used"}'] ?? Number.NaN };
}

const rows: string[] = [];
console.error(machineLine());
try {
  for (let t = 0; t < trials; t++) {
    for (const p of counts) {
      const b = await startBroker(segmentBytes);
      try {
        const idle = await snap(b.pid, b.port);
        await fill(b, p, 0, { recordSize, config: topicConfig, timeoutMs: 60_000 });
        const created = await snap(b.pid, b.port);
        await fill(b, p, records, { recordSize, config: topicConfig });
        const loaded = await snap(b.pid, b.port);
        const m = await metrics(b.port);
        const row = [
          String(p),
          String(t + 1),
          ...[idle, created, loaded].map((s) => `${fmtMiB(s.rss)} (${fmtMiB(s.anon)} / ${fmtMiB(s.file + s.shmem)})`),
          ...[idle, created, loaded].map((s) => fmtMiB(s.heap)),
          ((loaded.anon - idle.anon) / p / 1024).toFixed(1),
          String(m.rivulet_open_segments ?? '?'),
        ];
        rows.push(`| ${row.join(' | ')} |`);
        console.error(rows.at(-1));
      } finally {
        await b.stop();
      }
    }
  }
} finally {
  cleanup();
}
console.log(`\n${machineLine()}\n`);
console.log(
  `Broker memory by partition count (segment.bytes ${segmentBytes}, segment.index.bytes ${indexBytes}, load ${records} × ${recordSize} B round-robin over the partitions, acks=1). RSS MiB (anon / file+shmem), heap used MiB from /metrics.\n`,
);
console.log(
  '| partitions | trial | RSS idle | RSS topic created | RSS after load | heap idle | heap created | heap loaded | anon growth per partition KiB (idle → loaded) | open segments |',
);
console.log('|---:|---:|---|---|---|---:|---:|---:|---:|---:|');
for (const r of rows) console.log(r);
