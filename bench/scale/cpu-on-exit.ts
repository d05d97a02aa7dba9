/**
 * Preload (`node --import dist/bench/scale/cpu-on-exit.js ...`): on exit, writes the process's own
 * CPU time (user and system, every thread) to stderr as one line `__SCALE_CPU__ {"user":s,"system":s}`,
 * so the scale benchmarks can attribute CPU to a client process that has already exited.
 */
import { writeSync } from 'node:fs';

process.on('exit', () => {
  const u = process.cpuUsage();
  writeSync(2, `\n__SCALE_CPU__ ${JSON.stringify({ user: u.user / 1e6, system: u.system / 1e6 })}\n`);
});
