#!/usr/bin/env node
// Runs every compiled `*.test.js` under dist/test with Node's test runner. Only files named
// `.test.js` are tests: helpers and child-process scripts live beside them and must not run alone.
// `node scripts/run-tests.mjs broker log` limits the run to those folders.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve('dist/test');
const only = process.argv.slice(2);

function walk(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return walk(full);
    return entry.name.endsWith('.test.js') ? [full] : [];
  });
}

const files = walk(root)
  .filter((f) => only.length === 0 || only.some((o) => path.relative(root, f).startsWith(o)))
  .sort();
if (files.length === 0) {
  console.error('no test files found under dist/test: run `tsc -p tsconfig.json` first');
  process.exit(1);
}
// Two files at a time: the machines have two cores, and the broker tests start real brokers.
const res = spawnSync(
  process.execPath,
  ['--expose-gc', '--test', '--test-concurrency=2', '--test-timeout=180000', ...files],
  { stdio: 'inherit' },
);
process.exit(res.status ?? 1);
