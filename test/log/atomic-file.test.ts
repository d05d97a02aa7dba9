/** Small files replaced whole: a reader sees the old content or the new one, never a temp file. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { readFileIfExists, writeFileAtomicSync, writeFileReplaceSync } from '../../src/log/atomic-file.js';
import { tempDir } from '../helpers/tmp-dir.js';

for (const [name, write] of [
  ['writeFileAtomicSync (fsynced)', writeFileAtomicSync],
  ['writeFileReplaceSync (no fsync)', writeFileReplaceSync],
] as const) {
  test(`${name} creates and replaces a file whole and leaves no temporary file`, (t) => {
    const dir = tempDir(t);
    const path = join(dir, 'point');
    assert.equal(readFileIfExists(path), null);
    write(path, '12\n');
    assert.equal(readFileSync(path, 'utf8'), '12\n');
    write(path, Buffer.from('3456\n'));
    assert.equal(readFileSync(path, 'utf8'), '3456\n');
    assert.deepEqual(readdirSync(dir), ['point']);
  });
}
