/**
 * Shared by the CLI tests: a real broker in the test process on port 0 with a fresh data dir, and
 * the `rivulet` command run as a child process with a deadline.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MAIN = fileURLToPath(new URL('../../src/cli/bin.cjs', import.meta.url));

/** Small segments keep the preallocated files of test topics cheap. */
const SEGMENT_BYTES = 1024 * 1024;

export interface TestBroker {
  url: string;
  dataDir: string;
  close(): Promise<void>;
}

export async function startBroker(): Promise<TestBroker> {
  // Loaded here, so tests that need no broker do not need the storage addon either.
  const { Broker } = await import('../../src/index.js');
  const dataDir = await mkdtemp(join(tmpdir(), 'rivulet-cli-'));
  const broker = await Broker.start({ port: 0, host: '127.0.0.1', dataDir, segmentBytes: SEGMENT_BYTES });
  return {
    url: `ws://127.0.0.1:${broker.port}`,
    dataDir,
    async close() {
      await broker.close();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  timeoutMs?: number;
  /** Options for node itself, before the script. */
  nodeArgs?: string[];
}

/** Runs `rivulet ...args`; kills it and fails if it outlives `timeoutMs`. */
export function rivulet(args: string[], opts: RunOptions = {}): Promise<CliResult> {
  const env = { ...process.env, ...opts.env };
  if (!opts.env || !('RIVULET_BROKERS' in opts.env)) delete env.RIVULET_BROKERS;
  delete env.RIVULET_DEBUG;
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), MAIN, ...args], {
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const stdout: Buffer[] = [];
  const stderr: Buffer[] = [];
  child.stdout.on('data', (d: Buffer) => stdout.push(d));
  child.stderr.on('data', (d: Buffer) => stderr.push(d));
  child.stdin.on('error', () => {}); // the command may exit before reading all its input
  child.stdin.end(opts.input ?? '');
  const timeoutMs = opts.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `rivulet ${args.join(' ')} still running after ${timeoutMs} ms\nstdout: ${Buffer.concat(stdout)}\nstderr: ${Buffer.concat(stderr)}`,
        ),
      );
    }, timeoutMs);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(stdout).toString(), stderr: Buffer.concat(stderr).toString() });
    });
  });
}

/** Starts `rivulet ...args` and returns the child, for tests that need to act while it runs. */
export function spawnRivulet(args: string[]) {
  const env = { ...process.env };
  delete env.RIVULET_BROKERS;
  return spawn(process.execPath, [MAIN, ...args], { env, stdio: ['pipe', 'pipe', 'pipe'] });
}
