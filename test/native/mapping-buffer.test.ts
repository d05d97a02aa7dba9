/**
 * The buffer a segment's views are sliced from (native/binding/mapping_buffer.h): V8 does not
 * count the mapping as memory of its own, and the mapping stays while any thread holds the buffer.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { buildBatch, eventually, fileName, forceGc, openSegment, segmentWithBatch, tempDir } from './helpers.js';

test("first reads of 8 segments of 512 MiB do not add their mappings to V8's external memory", (t) => {
  const segments = [];
  for (let i = 0; i < 8; i++) {
    const seg = openSegment(tempDir(t), { segmentBytes: 512 << 20 });
    seg.append(buildBatch({ payloadBytes: 1000 }));
    segments.push(seg);
  }
  const before = process.memoryUsage().external;
  const views = segments.map((seg) => seg.read(0, 1 << 20));
  const grown = process.memoryUsage().external - before;
  for (const view of views) assert.equal(view.buffer.byteLength, 512 << 20); // each over its whole mapping
  // Counted, these would be 4 GiB, and V8 would collect in full on the way (about one per 1 GiB).
  assert.ok(grown < 16 << 20, `external memory grew by ${grown} bytes`);
  for (const seg of segments) seg.close();
});

// Waits for the mapping buffer, then for 'read' (by then this thread has dropped every view), and
// answers with the batch's bytes read through its own view of the buffer.
const READER = `
const { parentPort } = require('node:worker_threads');
let view;
parentPort.on('message', (m) => {
  if (m.buffer) { view = new Uint8Array(m.buffer, m.at, m.length); parentPort.postMessage('held'); }
  else { parentPort.postMessage(Buffer.from(view)); parentPort.close(); }
});`;

test('a worker holding the buffer keeps the mapping after the segment is destroyed and its views collected', async (t) => {
  const { dir, seg, batch } = segmentWithBatch(t, 50_000);
  let view: Buffer | undefined = seg.read(0, 1 << 20);
  assert.ok(view.buffer instanceof SharedArrayBuffer);
  const worker = new Worker(READER, { eval: true });
  t.after(() => worker.terminate());
  const exited = new Promise((resolve) => worker.once('exit', resolve));
  const replies: unknown[] = [];
  worker.on('message', (m) => replies.push(m));
  worker.postMessage({ buffer: view.buffer, at: view.byteOffset, length: view.length });
  assert.ok(await eventually(() => replies.length === 1), 'the worker took the buffer');
  view = undefined;
  seg.destroy();
  forceGc();
  await new Promise((resolve) => setTimeout(resolve, 50));
  forceGc();
  // The worker still maps the .log, so it waits under its .deleted name.
  assert.ok(existsSync(join(dir, `${fileName(0, '.log')}.deleted`)), `left: ${readdirSync(dir).join(', ')}`);
  worker.postMessage('read');
  assert.ok(await eventually(() => replies.length === 2), 'the worker read the batch');
  assert.deepEqual(Buffer.from(replies[1] as Uint8Array).subarray(8), batch.subarray(8));
  await exited;
  forceGc();
  assert.ok(await eventually(() => readdirSync(dir).length === 0), `left: ${readdirSync(dir).join(', ')}`);
});

test('destroy() after reads deletes the files without waiting for a collection nobody asked for', async (t) => {
  const dirs = [tempDir(t), tempDir(t), tempDir(t), tempDir(t)];
  const segments = dirs.map((dir) => openSegment(dir, { segmentBytes: 64 << 20 }));
  for (const seg of segments) {
    seg.append(buildBatch({ payloadBytes: 20_000 }));
    assert.equal(seg.read(0, 1 << 20).length, 20_061); // the mapping buffer now exists; the view is garbage
  }
  forceGc(); // the segments hold the buffers: they move to the old generation, as in a broker running for long
  for (const seg of segments) seg.destroy();
  // No collection forced from here: destroy() itself has V8 collect the buffers, whose release
  // deletes the files.
  for (const dir of dirs) {
    assert.ok(
      await eventually(() => readdirSync(dir).length === 0, 5000, false),
      `left: ${readdirSync(dir).join(', ')}`,
    );
  }
});
