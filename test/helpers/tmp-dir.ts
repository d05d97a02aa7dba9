/**
 * Fresh temporary directories under os.tmpdir(), removed when the test ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface HasAfter {
  after(fn: () => unknown): void;
}

/** A new empty directory; removed after the test `t` (or never, if `t` is omitted). */
export function tempDir(t?: HasAfter, prefix = 'rivulet-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t?.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
