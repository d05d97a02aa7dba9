/**
 * Fresh temporary directories under os.tmpdir(), removed when the test process exits: by then
 * every background job of the storage engine (a segment preparation, a flush) has ended, which is
 * not true yet when a test's own `after` hooks run.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const created: string[] = [];
let hooked = false;

function removeAll(): void {
  for (const dir of created.splice(0)) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Left in the OS temp dir: nothing a test can do about it at exit.
    }
  }
}

/**
 * A new empty directory, removed at process exit. `_t` (a test context) is accepted so callers
 * read the same whether or not a test owns the directory.
 */
export function tempDir(_t?: unknown, prefix = 'rivulet-test-'): string {
  if (!hooked) {
    process.on('exit', removeAll);
    hooked = true;
  }
  const dir = mkdtempSync(join(tmpdir(), prefix));
  created.push(dir);
  return dir;
}
