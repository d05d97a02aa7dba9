/**
 * A small real filesystem for full-disk tests: a tmpfs of `size` mounted on a fresh temp dir,
 * unmounted and removed after the test. Where the machine does not allow mounting (no root or
 * CAP_SYS_ADMIN), the test is skipped with that reason and this returns undefined.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export function smallFs(t: TestContext, size: string, prefix = 'rivulet-small-fs-'): string | undefined {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size}`, 'tmpfs', dir], { stdio: 'pipe' });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    t.skip(`cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]}): needs root or CAP_SYS_ADMIN`);
    return undefined;
  }
  t.after(() => {
    execFileSync('umount', ['-l', dir]);
    rmSync(dir, { recursive: true, force: true });
  });
  return dir;
}
