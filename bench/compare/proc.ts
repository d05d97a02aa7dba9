/**
 * Processes and temp dirs of the comparison: every server and worker it starts and every dir it
 * makes is registered here and removed by `cleanup()`, which main calls in a finally block and on
 * SIGINT/SIGTERM; an 'exit' hook kills whatever is still registered as a last resort. Also: free
 * ports, waiting for a port to accept, and the /proc samples (VmRSS, utime + stime) of a server.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
const CLK_TCK = clockTicks();
const KILL_GRACE_MS = 5_000;

function clockTicks(): number {
  const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
  const n = Number(out.stdout?.trim());
  return Number.isFinite(n) && n > 0 ? n : 100;
}

export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `rivulet-compare-${prefix}-`));
  dirs.add(dir);
  return dir;
}

export interface Started {
  child: ChildProcess;
  /** stdout and stderr so far, for error messages (last 64 KiB). */
  output(): string;
  /** stdout alone (last 64 KiB). */
  stdout(): string;
}

/** Starts `cmd args` (no shell), registered for cleanup; its output is kept (last 64 KiB). */
export function start(cmd: string, args: string[], env?: NodeJS.ProcessEnv): Started {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], env: env ?? process.env });
  children.add(child);
  let out = '';
  let stdout = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > 65_536) out = out.slice(-65_536);
  };
  child.stdout?.on('data', (d: Buffer) => {
    stdout += d.toString();
    if (stdout.length > 65_536) stdout = stdout.slice(-65_536);
    keep(d);
  });
  child.stderr?.on('data', keep);
  child.on('exit', () => children.delete(child));
  child.on('error', () => children.delete(child));
  return { child, output: () => out, stdout: () => stdout };
}

/** SIGTERM, then SIGKILL after a grace period; resolves once the process is gone. */
export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) {
    children.delete(child);
    return;
  }
  const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
  await gone;
  clearTimeout(timer);
  children.delete(child);
}

export async function cleanup(): Promise<void> {
  await Promise.allSettled([...children].map((c) => stop(c)));
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
  dirs.clear();
}

/** Last resort on exit: no waiting is possible here, so kill outright and remove dirs. */
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** A port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr !== null ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/** Resolves once 127.0.0.1:port accepts a connection; rejects after `timeoutMs` or if `child` exits. */
export async function waitForPort(port: number, started: Started, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (started.child.exitCode !== null || started.child.signalCode !== null) {
      throw new Error(`exited before listening on ${port}:\n${started.output()}`);
    }
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline)
      throw new Error(`nothing listens on ${port} after ${timeoutMs} ms:\n${started.output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** CPU seconds (user + system) a process has used so far, from /proc/PID/stat. */
export async function cpuSeconds(pid: number): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name (which may hold spaces) start at field 3; utime is 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

/** Resident set size in bytes, from /proc/PID/status VmRSS. */
export async function rssBytes(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

export interface ProcSample {
  cpuSeconds: number;
  maxRssBytes: number;
}

/** Samples a server while `fn` runs: CPU used over the run, largest RSS seen (every 100 ms). */
export async function sampled<T>(pid: number, fn: () => Promise<T>): Promise<{ result: T; proc: ProcSample }> {
  const cpu0 = await cpuSeconds(pid);
  let maxRss = await rssBytes(pid);
  const timer = setInterval(() => {
    rssBytes(pid).then(
      (r) => {
        if (r > maxRss) maxRss = r;
      },
      () => {},
    );
  }, 100);
  try {
    const result = await fn();
    const cpu1 = await cpuSeconds(pid);
    const rss = await rssBytes(pid);
    return { result, proc: { cpuSeconds: cpu1 - cpu0, maxRssBytes: Math.max(maxRss, rss) } };
  } finally {
    clearInterval(timer);
  }
}

/** Full path of `name` on $PATH (plus the sbin dirs apt uses), or undefined. */
export function which(name: string): string | undefined {
  const path = `${process.env.PATH ?? ''}:/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/bin`;
  for (const dir of path.split(':')) {
    if (dir === '') continue;
    const full = join(dir, name);
    const r = spawnSync('test', ['-x', full]);
    if (r.status === 0) return full;
  }
  return undefined;
}

/** Runs a worker (`node <script> <args>`) and parses the JSON it prints last; killed past `timeoutMs`. */
export async function runWorker<T>(script: string, args: string[], timeoutMs: number): Promise<T> {
  const w = start(process.execPath, [script, ...args]);
  const timer = setTimeout(() => w.child.kill('SIGKILL'), timeoutMs);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => {
    w.child.once('close', (c, s) => resolve([c, s]));
  });
  clearTimeout(timer);
  const out = w.output();
  if (signal === 'SIGKILL') throw new Error(`timed out after ${timeoutMs} ms:\n${tail(out)}`);
  if (code !== 0) throw new Error(`worker failed (exit ${code ?? signal}):\n${tail(out)}`);
  const lines = w.stdout().trim().split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (line.startsWith('{')) return JSON.parse(line) as T;
  }
  throw new Error(`worker printed no JSON:\n${tail(out)}`);
}

function tail(s: string): string {
  return s.split('\n').slice(-15).join('\n');
}
