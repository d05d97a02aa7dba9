/**
 * A group consumer's session: joins the membership (`membership.ts`) to the fetcher. Everything
 * that changes what the consumer owns happens in {@link GroupSession.between}, which the consumer's
 * run loop calls between batches, so no handler is running on a partition while it moves:
 *
 * - revoke first: the 'partitions.revoked' listeners are awaited (they may commit), then the SDK
 *   commits what was processed of those partitions, then stops fetching them, and only then
 *   reports them released. A clean rebalance therefore hands the next owner exactly the offset
 *   after the last processed record: nothing is read twice.
 * - then take what was granted: each partition starts at the group's committed offset, or, with
 *   none, at the earliest or latest offset (`fromBeginning`); 'partitions.assigned' follows.
 *
 * Lost partitions (fenced, session lost, a handler over maxPollIntervalMs) are dropped at once,
 * without commit: someone else may own them already. Offsets are committed as Kafka does: the
 * next offset to read.
 */
import { RivuletError } from '../../errors.js';
import { OffsetCommit } from '../../protocol/apis/offset-commit.js';
import { OffsetFetch } from '../../protocol/apis/offset-fetch.js';
import type { Cluster } from '../cluster.js';
import type { Fetcher, PartitionState } from '../fetcher.js';
import { withRetry, type RetryPolicy } from '../retry.js';
import type { OffsetSpec } from '../types.js';
import { Membership, type MembershipOptions, type Subscription } from './membership.js';
import { fromKey, minus, type TopicPartition, toList, toWire, tpKey } from './partitions.js';

export type PartitionEvent = 'partitions.assigned' | 'partitions.revoked' | 'partitions.lost';
export type Emit = (event: PartitionEvent, partitions: TopicPartition[]) => Promise<void>;

export interface GroupSessionOptions extends Omit<MembershipOptions, 'retry' | 'requestTimeoutMs'> {
  maxPollIntervalMs: number;
  retry: RetryPolicy;
}

export interface CommitEntry {
  topic: string;
  partition: number;
  offset: number;
  metadata?: string | null;
}

/** Tries of a commit whose epoch turned out stale (each after the next heartbeat). */
const STALE_COMMIT_TRIES = 3;

/** What the run loop's wait returns when the session, not the fetcher, woke it. */
export const WOKEN = Symbol('woken');

export class GroupSession {
  readonly membership: Membership;
  fromBeginning = false;
  autoCommit = true;
  autoCommitIntervalMs = 5_000;
  private readonly committed = new Map<string, number>();
  private lastAutoCommit = Date.now();
  private pendingLost: TopicPartition[] = [];
  private failure: RivuletError | undefined;
  private signal: (() => void) | undefined;
  private signalled = false;
  private busySince: number | undefined;
  private watchdog: ReturnType<typeof setInterval> | undefined;
  private commitChain: Promise<unknown> = Promise.resolve();
  private listenerError: unknown;

  constructor(
    private readonly cluster: Cluster,
    private readonly fetcher: Fetcher,
    private readonly opts: GroupSessionOptions,
    private readonly emit: Emit,
  ) {
    this.membership = new Membership(
      cluster,
      { ...opts, requestTimeoutMs: cluster.opts.requestTimeoutMs },
      {
        changed: () => this.wake(),
        lost: (why) => this.onLost(why),
        fatal: (err) => {
          this.failure = err;
          this.wake();
        },
      },
    );
  }

  get subscription(): Subscription {
    return this.membership.subscription;
  }

  set subscription(s: Subscription) {
    this.membership.subscription = s;
    this.membership.heartbeatNow();
  }

  start(): void {
    this.membership.start();
    const tick = Math.max(10, Math.min(1_000, Math.floor(this.opts.maxPollIntervalMs / 4), this.autoCommitIntervalMs));
    this.watchdog = setInterval(() => this.tick(), tick);
  }

  /** The run loop waits for fetched data or for the session to need it, whichever comes first. */
  wait<T>(take: Promise<T>): Promise<T | typeof WOKEN> {
    if (this.signalled) {
      this.signalled = false;
      return Promise.resolve(WOKEN);
    }
    return Promise.race([
      take,
      new Promise<typeof WOKEN>((resolve) => {
        this.signal = () => resolve(WOKEN);
      }),
    ]).finally(() => {
      this.signal = undefined;
      this.signalled = false;
    });
  }

  /** Handlers are running from now (true) or are done (false): the poll-interval watchdog's input. */
  busy(on: boolean): void {
    this.busySince = on ? Date.now() : undefined;
  }

  /** Between batches: rejoin after a poll timeout, report lost partitions, reconcile, auto-commit. */
  async between(): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if (!this.membership.active) await this.membership.rejoin();
    if (this.pendingLost.length > 0) {
      const lost = this.pendingLost;
      this.pendingLost = [];
      await this.listen('partitions.lost', lost);
    }
    await this.reconcile();
    const listenerError = this.listenerError;
    if (listenerError !== undefined) {
      // The rebalance went through; the application hears of its listener's failure now.
      this.listenerError = undefined;
      throw listenerError;
    }
    if (this.autoCommit && Date.now() - this.lastAutoCommit >= this.autoCommitIntervalMs) {
      this.lastAutoCommit = Date.now();
      await this.commitProcessed([...this.membership.owned]).catch(() => {});
    }
  }

  /**
   * Gives the partitions up as a rebalance would ('partitions.revoked' awaited, then the processed
   * offsets committed when `commit`), then leaves the group.
   */
  async close(commit: boolean): Promise<void> {
    clearInterval(this.watchdog);
    const owned = [...this.membership.owned];
    if (this.membership.active && owned.length > 0) {
      await this.emit('partitions.revoked', toList(owned)).catch(() => {});
      if (commit) await this.commitProcessed(owned).catch(() => {});
    }
    await this.membership.leave();
    this.membership.owned = new Set();
  }

  /** Commits explicit offsets (the next offset to read), as the member. */
  async commit(entries: CommitEntry[]): Promise<void> {
    const run = this.commitChain.then(() => this.commitNow(entries));
    this.commitChain = run.catch(() => {});
    return run;
  }

  /** Commits each partition's processed position, where it moved since the last commit. */
  commitProcessed(keys: string[]): Promise<void> {
    const entries: CommitEntry[] = [];
    for (const k of keys) {
      const { topic, partition } = fromKey(k);
      const s = this.fetcher.state(topic, partition);
      if (s === undefined || s.position < 0 || this.committed.get(k) === s.position) continue;
      entries.push({ topic, partition, offset: s.position });
    }
    if (entries.length === 0) return Promise.resolve();
    return this.commit(entries);
  }

  private async commitNow(entries: CommitEntry[]): Promise<void> {
    let todo = entries;
    for (let attempt = 1; ; attempt++) {
      const m = this.membership;
      const epoch = m.memberEpoch;
      if (epoch <= 0) {
        throw new RivuletError('UNKNOWN_MEMBER_ID', `not a member of group '${m.groupId}' now (joining again): nothing committed`);
      }
      const res = await withRetry(
        this.opts.retry,
        () =>
          this.cluster.anyConnection().request(OffsetCommit, {
            groupId: m.groupId,
            memberId: m.memberId,
            memberEpoch: epoch,
            groupInstanceId: m.instanceId,
            topics: toWire(todo.map((e) => tpKey(e.topic, e.partition))).map((t) => ({
              name: t.name,
              partitions: t.partitions.map((p) => {
                const e = todo.find((x) => x.topic === t.name && x.partition === p)!;
                return { index: p, committedOffset: e.offset, committedMetadata: e.metadata ?? null };
              }),
            })),
          }),
        { shouldStop: () => this.cluster.isClosed },
      ).catch((err: unknown) => {
        if (err instanceof RivuletError && (err.code === 'UNKNOWN_MEMBER_ID' || err.code === 'FENCED_MEMBER_EPOCH')) {
          if (m.memberEpoch === epoch) m.fenced(err);
        }
        throw err;
      });
      const stale: CommitEntry[] = [];
      let firstError: RivuletError | undefined;
      for (const t of res.body.topics) {
        for (const p of t.partitions) {
          const e = todo.find((x) => x.topic === t.name && x.partition === p.index);
          if (e === undefined) continue;
          if (p.errorCode === 0) {
            this.committed.set(tpKey(t.name, p.index), e.offset);
            continue;
          }
          const err = RivuletError.fromWire(p.errorCode, p.errorMessage ?? undefined, `${t.name}/${p.index}`);
          if (err.code === 'STALE_MEMBER_EPOCH') stale.push(e);
          else firstError ??= err;
        }
      }
      if (firstError !== undefined) throw firstError;
      if (stale.length === 0) return;
      if (attempt >= STALE_COMMIT_TRIES) {
        throw new RivuletError('STALE_MEMBER_EPOCH', `commit of ${stale.length} partition(s) kept meeting a newer member epoch`);
      }
      await m.nextHeartbeat();
      todo = stale;
    }
  }

  /** Offsets the group committed for `keys` (-1 where none). */
  private async fetchCommitted(keys: string[]): Promise<Map<string, number>> {
    const m = this.membership;
    const res = await withRetry(
      this.opts.retry,
      () =>
        this.cluster.anyConnection().request(OffsetFetch, {
          groupId: m.groupId,
          memberId: '',
          memberEpoch: -1,
          topics: toWire(keys).map((t) => ({ name: t.name, partitionIndexes: t.partitions })),
        }),
      { shouldStop: () => this.cluster.isClosed },
    );
    const out = new Map<string, number>();
    for (const t of res.body.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) throw RivuletError.fromWire(p.errorCode, p.errorMessage ?? undefined, `${t.name}/${p.index}`);
        out.set(tpKey(t.name, p.index), p.committedOffset);
      }
    }
    return out;
  }

  /** Moves what is owned towards the broker's target: revoke, then take. */
  private async reconcile(): Promise<void> {
    const m = this.membership;
    for (let round = 0; round < 4 && m.active && m.target !== null; round++) {
      const target = m.target;
      const revoke = minus(m.owned, target);
      if (revoke.size > 0) {
        const list = toList(revoke);
        await this.listen('partitions.revoked', list);
        await this.commitProcessed([...revoke]).catch(() => {});
        if (!m.active || m.target === null) return; // lost meanwhile: nothing left to release
        this.setFetched(minus(m.owned, revoke), new Map());
        m.setOwned(minus(m.owned, revoke));
        continue;
      }
      const add = minus(target, m.owned);
      if (add.size === 0) return;
      const committed = await this.fetchCommitted([...add]);
      if (!m.active || m.target === null) return; // lost meanwhile
      const starts = new Map<string, OffsetSpec>();
      for (const k of add) {
        const c = committed.get(k) ?? -1;
        starts.set(k, c >= 0 ? c : this.fromBeginning ? 'earliest' : 'latest');
        if (c >= 0) this.committed.set(k, c);
        else this.committed.delete(k);
      }
      const owned = new Set([...m.owned, ...add]);
      this.setFetched(owned, starts);
      m.setOwned(owned);
      await this.listen('partitions.assigned', toList(add));
    }
  }

  /** Runs the listeners; a failure is kept for the end of the step, which goes on regardless. */
  private async listen(event: PartitionEvent, partitions: TopicPartition[]): Promise<void> {
    try {
      await this.emit(event, partitions);
    } catch (err) {
      this.listenerError ??= err;
    }
  }

  /** Fetches exactly `owned`: kept partitions continue at their position, new ones at `starts`. */
  private setFetched(owned: Set<string>, starts: Map<string, OffsetSpec>): void {
    const kept = new Map<string, PartitionState>();
    for (const s of this.fetcher.partitions) kept.set(tpKey(s.topic, s.partition), s);
    const list: { topic: string; partition: number; offset: OffsetSpec }[] = [];
    const paused: string[] = [];
    for (const k of owned) {
      const { topic, partition } = fromKey(k);
      const s = kept.get(k);
      let offset = starts.get(k);
      if (offset === undefined && s !== undefined) offset = s.position >= 0 ? s.position : (s.spec ?? 'latest');
      list.push({ topic, partition, offset: offset ?? (this.fromBeginning ? 'earliest' : 'latest') });
      if (s?.paused) paused.push(k);
    }
    this.fetcher.assign(list);
    for (const k of paused) {
      const { topic, partition } = fromKey(k);
      const s = this.fetcher.state(topic, partition);
      if (s !== undefined) s.paused = true;
    }
  }

  private onLost(why: RivuletError): void {
    const lost = toList(this.fetcherKeys());
    for (const k of this.fetcherKeys()) this.committed.delete(k);
    this.fetcher.assign([]);
    if (lost.length > 0) this.pendingLost.push(...lost);
    void why;
    this.wake();
  }

  private fetcherKeys(): string[] {
    return [...this.fetcher.partitions].map((s) => tpKey(s.topic, s.partition));
  }

  private wake(): void {
    const s = this.signal;
    if (s === undefined) {
      this.signalled = true;
      return;
    }
    this.signal = undefined;
    s();
  }

  private tick(): void {
    if (this.autoCommit && Date.now() - this.lastAutoCommit >= this.autoCommitIntervalMs) this.wake();
    const since = this.busySince;
    if (since === undefined || !this.membership.active) return;
    if (Date.now() - since > this.opts.maxPollIntervalMs) {
      void this.membership.leaveForPoll(
        new RivuletError(
          'REBALANCE_IN_PROGRESS',
          `a handler ran for more than maxPollIntervalMs (${this.opts.maxPollIntervalMs} ms): left the group, joining again when it returns`,
          { retriable: true },
        ),
      );
    }
  }
}
