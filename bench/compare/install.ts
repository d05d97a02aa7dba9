/**
 * Finds redis-server, redis-benchmark and nats-server, installing the Debian/Ubuntu packages when
 * one is missing and we are root (`apt-get install -y`, then `apt-get update` and once more if that
 * fails). A peer whose binaries are still missing is skipped with the reason: never silently.
 */
import { spawnSync } from 'node:child_process';
import { which } from './proc.js';

export interface Binaries {
  redisServer?: string;
  redisBenchmark?: string;
  natsServer?: string;
  /** Why a peer is skipped, and what was installed. */
  notes: string[];
}

const PACKAGES = ['redis-server', 'redis-tools', 'nats-server'];
const APT_TIMEOUT_MS = 10 * 60_000;

function apt(args: string[]): { ok: boolean; out: string } {
  const r = spawnSync('apt-get', args, {
    encoding: 'utf8',
    timeout: APT_TIMEOUT_MS,
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  return { ok: r.status === 0, out: `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? String(r.error) : ''}` };
}

function lookup(): Omit<Binaries, 'notes'> {
  const out: Omit<Binaries, 'notes'> = {};
  const rs = which('redis-server');
  const rb = which('redis-benchmark');
  const ns = which('nats-server');
  if (rs) out.redisServer = rs;
  if (rb) out.redisBenchmark = rb;
  if (ns) out.natsServer = ns;
  return out;
}

export function ensureBinaries(log: (line: string) => void): Binaries {
  let found = lookup();
  const notes: string[] = [];
  const missing = () => [
    ...(found.redisServer && found.redisBenchmark ? [] : ['redis-server/redis-benchmark']),
    ...(found.natsServer ? [] : ['nats-server']),
  ];
  if (missing().length > 0) {
    const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
    if (!isRoot) {
      notes.push(`not root, cannot install ${missing().join(', ')}: apt-get install ${PACKAGES.join(' ')}`);
    } else if (which('apt-get') === undefined) {
      notes.push(`no apt-get to install ${missing().join(', ')}`);
    } else {
      log(`installing ${PACKAGES.join(' ')} (missing: ${missing().join(', ')})`);
      let r = apt(['install', '-y', ...PACKAGES]);
      if (!r.ok) {
        log('apt-get install failed; running apt-get update and trying again');
        apt(['update']);
        r = apt(['install', '-y', ...PACKAGES]);
      }
      if (!r.ok) notes.push(`apt-get install failed: ${r.out.trim().split('\n').slice(-3).join(' | ')}`);
      found = lookup();
    }
  }
  if (!found.redisServer) notes.push('Redis skipped: redis-server not found');
  else if (!found.redisBenchmark) notes.push('redis-benchmark not found: its ceiling row is skipped');
  if (!found.natsServer) notes.push('NATS skipped: nats-server not found');
  return { ...found, notes };
}

/** The first line a binary prints for `--version`, or 'unknown'. */
export function versionOf(bin: string | undefined, args = ['--version']): string {
  if (bin === undefined) return 'not installed';
  const r = spawnSync(bin, args, { encoding: 'utf8', timeout: 10_000 });
  return `${r.stdout ?? ''}${r.stderr ?? ''}`.trim().split('\n')[0] ?? 'unknown';
}
