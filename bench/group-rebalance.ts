/**
 * Consumer-group rebalance: a 10-member group on a 64-partition topic is stable; an 11th member
 * joins. Measured: the time from the 11th member's run() to the whole group stable again (the
 * broker says Stable with every member reconciled, and the members' own assignments cover the 64
 * partitions exactly once), and how many partitions changed owner. Members are SDK consumers on
 * one client, against an in-process broker; each trial runs in a fresh process.
 *
 *   node dist/bench/group-rebalance.js [--trials 3] [--heartbeat-ms 250] [--json]
 *
 * KIP-848 members learn of a rebalance from their next heartbeat answer, so the figure scales
 * with the broker's heartbeat interval (Kafka's default is 5 s); it is printed beside the result.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Consumer } from '../src/client/index.js';

const PARTITIONS = 64;
const MEMBERS = 10;
const TOPIC = 'rebalance';
const GROUP = 'bench';
const STABLE_TIMEOUT_MS = 60_000;

interface Trial {
  stableMs: number;
  moved: number;
  revocations: number;
  newMemberPartitions: number;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function trial(heartbeatMs: number): Promise<Trial> {
  const { Broker } = await import('../src/index.js');
  const { Rivulet } = await import('../src/client/index.js');
  const dataDir = mkdtempSync(path.join(os.tmpdir(), 'rivulet-bench-rebalance-'));
  const broker = await Broker.start({
    port: 0,
    host: '127.0.0.1',
    dataDir,
    segmentBytes: 1 << 20,
    groupHeartbeatIntervalMs: heartbeatMs,
    groupSessionTimeoutMs: Math.max(10_000, heartbeatMs * 10),
  });
  const client = new Rivulet({ brokers: [`ws://127.0.0.1:${broker.port}`], clientId: 'bench' });
  const consumers: Consumer[] = [];
  let revocations = 0;
  try {
    const admin = client.admin();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
    await client.producer().send({
      topic: TOPIC,
      messages: Array.from({ length: PARTITIONS }, (_, partition) => ({ value: 'x', partition })),
    });
    const start = () => {
      const c = client.consumer({ groupId: GROUP, maxWaitMs: 100, heartbeatIntervalMs: heartbeatMs });
      c.subscribe({ topic: TOPIC, fromBeginning: true });
      c.on('partitions.revoked', () => void revocations++);
      void c.run({ eachMessage: async () => {} });
      consumers.push(c);
      return c;
    };
    const stable = async (n: number): Promise<Map<string, string>> => {
      const end = Date.now() + STABLE_TIMEOUT_MS;
      for (;;) {
        const g = (await admin.describeGroups([GROUP])).groups[0]!;
        const owned = consumers.flatMap((c) => c.assignment().map((p) => p.partition));
        if (
          g.state === 'Stable' &&
          g.members.length === n &&
          g.members.every((m) => m.memberState === 'Stable') &&
          owned.length === PARTITIONS &&
          new Set(owned).size === PARTITIONS
        ) {
          const owner = new Map<string, string>();
          for (const m of g.members) for (const a of m.assignment) for (const p of a.partitions) owner.set(`${a.topic}/${p}`, m.memberId);
          return owner;
        }
        if (Date.now() > end) throw new Error(`group not stable after ${STABLE_TIMEOUT_MS} ms`);
        await new Promise((r) => setTimeout(r, 2));
      }
    };
    for (let i = 0; i < MEMBERS; i++) start();
    const before = await stable(MEMBERS);
    revocations = 0;
    const t0 = performance.now();
    const newcomer = start();
    const afterOwners = await stable(MEMBERS + 1);
    const stableMs = performance.now() - t0;
    let moved = 0;
    for (const [tp, m] of afterOwners) if (before.get(tp) !== m) moved++;
    return { stableMs, moved, revocations, newMemberPartitions: newcomer.assignment().length };
  } finally {
    await client.close();
    await broker.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      trials: { type: 'string', default: '3' },
      'heartbeat-ms': { type: 'string', default: '250' },
      json: { type: 'boolean', default: false },
      child: { type: 'boolean', default: false },
    },
  });
  const heartbeatMs = Number(values['heartbeat-ms']);
  if (values.child) {
    process.stdout.write(`${JSON.stringify(await trial(heartbeatMs))}\n`);
    process.exit(0);
  }
  const trials: Trial[] = [];
  const self = fileURLToPath(import.meta.url);
  for (let i = 0; i < Number(values.trials); i++) {
    const r = spawnSync(process.execPath, [self, '--child', '--heartbeat-ms', String(heartbeatMs)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    if (r.status !== 0) throw new Error(`trial ${i} failed (exit ${r.status})`);
    trials.push(JSON.parse(r.stdout.trim().split('\n').at(-1)!) as Trial);
  }
  const summary = {
    partitions: PARTITIONS,
    members: `${MEMBERS} → ${MEMBERS + 1}`,
    heartbeatIntervalMs: heartbeatMs,
    trials: trials.length,
    stableMsMedian: Math.round(median(trials.map((t) => t.stableMs))),
    stableMs: trials.map((t) => Math.round(t.stableMs)),
    partitionsMoved: trials.map((t) => t.moved),
    revocationEvents: trials.map((t) => t.revocations),
    newMemberPartitions: trials.map((t) => t.newMemberPartitions),
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
    return;
  }
  process.stdout.write(
    `group rebalance: ${PARTITIONS} partitions, ${summary.members} members, broker heartbeat interval ${heartbeatMs} ms, ${trials.length} trials\n` +
      `  time to stable:     median ${summary.stableMsMedian} ms (${summary.stableMs.join(', ')} ms)\n` +
      `  partitions moved:   ${summary.partitionsMoved.join(', ')} (the new member got ${summary.newMemberPartitions.join(', ')})\n` +
      `  revocation events:  ${summary.revocationEvents.join(', ')}\n`,
  );
}

await main();
