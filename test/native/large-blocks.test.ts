/**
 * keepLargeBlocksMapped fixes glibc's mmap threshold for the broker's process, and only there:
 * loading the addon (as an SDK client does, for the CRC) leaves the host's allocator alone.
 *
 * Told apart by page faults, in a child process of its own each (the setting is process-wide):
 * 32 buffers of 4 MiB, each filled and freed in turn. With the threshold fixed, every one is a new
 * mapping, faulted in page by page (about 32 × 1,024 faults); with glibc's dynamic threshold, the
 * first free raises it and later buffers reuse the heap's pages (a few thousand faults in all).
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';

const run = promisify(execFile);

const MEMORY = new URL('../../src/log/memory.js', import.meta.url).href;
const BROKER = new URL('../../src/broker/broker.js', import.meta.url).href;

/** Page faults of 32 × 4 MiB buffers filled and freed one after another, after `setup`. */
const MEASURE = `
  const before = process.resourceUsage().minorPageFault;
  for (let i = 0; i < 32; i++) {
    let b = Buffer.allocUnsafe(4 << 20);
    b.fill(i);
    b = null;
    globalThis.gc();
  }
  console.log(process.resourceUsage().minorPageFault - before);
`;

async function faultsAfter(setup: string): Promise<number> {
  const { stdout } = await run(process.execPath, ['--expose-gc', '--input-type=module', '-e', setup + MEASURE], {
    timeout: 60_000,
  });
  return Number(stdout.trim().split('\n').at(-1));
}

const underAsan = (process.env.LD_PRELOAD ?? '').includes('asan');

/** With transparent huge pages always on, a fresh 4 MiB mapping may fault in 2 MiB at a time. */
function hugePagesAlways(): boolean {
  try {
    return readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8').includes('[always]');
  } catch {
    return false;
  }
}

function skipReason(): string | false {
  if (process.platform !== 'linux') return 'Linux only';
  if (underAsan) return 'glibc malloc replaced by ASan';
  if (hugePagesAlways()) return 'transparent huge pages always on: faults are not counted per 4 KiB';
  return false;
}

describe('large blocks and the mmap threshold', { skip: skipReason() }, () => {
  it('loading the addon keeps glibc dynamic; keepLargeBlocksMapped and a started broker fix it', async (t) => {
    const dataDir = await mkdtemp(join(tmpdir(), 'rivulet-large-blocks-'));
    t.after(() => rm(dataDir, { recursive: true, force: true }));
    const loaded = await faultsAfter(`await import(${JSON.stringify(MEMORY)});`);
    const kept = await faultsAfter(
      `const m = await import(${JSON.stringify(MEMORY)}); if (m.keepLargeBlocksMapped() !== true) process.exit(3);`,
    );
    const broker = await faultsAfter(
      `const { Broker } = await import(${JSON.stringify(BROKER)});
       const broker = await Broker.start({ dataDir: ${JSON.stringify(dataDir)}, port: 0, host: '127.0.0.1' });
       await broker.close();`,
    );
    // Every buffer a fresh mapping: at least 32 × 1,024 pages less a little.
    const everyBuffer = 32 * 1024 * 0.9;
    assert.ok(kept >= everyBuffer, `threshold fixed: ${kept} faults`);
    assert.ok(broker >= everyBuffer, `after Broker.start: ${broker} faults`);
    assert.ok(loaded * 2 < kept, `addon loaded only: ${loaded} faults, against ${kept} with the threshold fixed`);
  });
});
