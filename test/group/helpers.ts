/** Shared test helpers for the group tests: assignment builders, a seeded PRNG, a manual clock. */
import { type Assignment, toAssignment } from '../../src/group/assignment.js';
import type { AssignorMember, GroupAssignment } from '../../src/group/assignors/index.js';
import type { Scheduler } from '../../src/group/scheduler.js';

export function a(record: Record<string, number[]> = {}): Assignment {
  return toAssignment(record);
}

/** A GroupAssignment as a plain object, for deepStrictEqual. */
export function plain(result: GroupAssignment): Record<string, Record<string, number[]>> {
  const out: Record<string, Record<string, number[]>> = {};
  for (const [memberId, asg] of result) out[memberId] = Object.fromEntries([...asg].map(([t, ps]) => [t, [...ps]]));
  return out;
}

export function member(
  memberId: string,
  subscribedTopics: string[],
  current: Record<string, number[]> = {},
  instanceId: string | null = null,
): AssignorMember {
  return { memberId, subscribedTopics, currentAssignment: a(current), instanceId };
}

/** mulberry32: a small seeded PRNG, so property tests replay exactly. */
export function prng(seed: number): { next(): number; int(n: number): number; pick<T>(xs: readonly T[]): T } {
  let s = seed >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: (xs) => xs[int(xs.length)]! };
}

interface Pending {
  at: number;
  seq: number;
  fn: () => void;
  cancelled: boolean;
}

/** A Scheduler whose time moves only when the test says so. */
export class ManualScheduler implements Scheduler {
  private time: number;
  private seq = 0;
  private queue: Pending[] = [];

  constructor(start = 1_700_000_000_000) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  schedule(delayMs: number, fn: () => void): () => void {
    const entry: Pending = { at: this.time + delayMs, seq: this.seq++, fn, cancelled: false };
    this.queue.push(entry);
    return () => {
      entry.cancelled = true;
    };
  }

  /** Moves time forward by `ms`, running every timer that falls due, in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      this.queue = this.queue.filter((e) => !e.cancelled);
      this.queue.sort((x, y) => x.at - y.at || x.seq - y.seq);
      const due = this.queue[0];
      if (due === undefined || due.at > end) break;
      this.queue.shift();
      this.time = Math.max(this.time, due.at);
      due.fn();
    }
    this.time = end;
  }

  get pendingTimers(): number {
    return this.queue.filter((e) => !e.cancelled).length;
  }
}

/** An OffsetLog in memory: each append is one stored batch; replay yields them in order. */
export class MemoryOffsetLog {
  readonly batches: Uint8Array[] = [];
  append(batch: Uint8Array): void {
    this.batches.push(batch.slice());
  }
  *replay(): Iterable<Uint8Array> {
    yield* this.batches;
  }
}
