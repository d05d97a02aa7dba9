/**
 * A consumer's membership of its group (KIP-848): the heartbeat loop, on its own timer whatever
 * the message handlers are doing. Each heartbeat reports the subscription and the partitions the
 * consumer owns now; each answer carries the member epoch and the partitions it may own
 * (`target`). Moving what is owned towards the target is the session's job (`session.ts`): it
 * revokes first, then tells this loop (`setOwned`), which reports it at once.
 *
 * Errors of a heartbeat:
 * - UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH: the broker no longer counts us in (session timed out,
 *   fenced, broker restarted). The partitions are lost (dropped without commit) and the member
 *   joins again with epoch 0, keeping its member id.
 * - retriable ones (connection, timeout, COORDINATOR_*): retried with backoff; partitions are kept
 *   until no heartbeat has succeeded for `sessionTimeoutMs`, then they are lost too (the broker
 *   has given them away by then).
 * - UNRELEASED_INSTANCE_ID: the static instance is still held by a previous incarnation: retried.
 * - anything else (FENCED_INSTANCE_ID, UNSUPPORTED_ASSIGNOR, INVALID_GROUP_ID, …): fatal.
 */
import { RivuletError } from '../../errors.js';
import { ConsumerGroupHeartbeat, type ConsumerGroupHeartbeatRequest } from '../../protocol/apis/consumer-group-heartbeat.js';
import type { Cluster } from '../cluster.js';
import { backoffMs, type RetryPolicy, sleep } from '../retry.js';
import { keysOf, toWire } from './partitions.js';

export const JOIN_EPOCH = 0;
export const LEAVE_EPOCH = -1;
export const STATIC_LEAVE_EPOCH = -2;
/** The wait for a leave's answer: leaving must not hold a shutdown up for long. */
const LEAVE_TIMEOUT_MS = 3_000;

export interface Subscription {
  topics: string[];
  /** A RegExp source matched against whole topic names, or null. */
  regex: string | null;
}

export interface MembershipOptions {
  groupId: string;
  instanceId: string | null;
  rebalanceTimeoutMs: number;
  sessionTimeoutMs: number;
  /** Used until the broker names its interval. */
  heartbeatIntervalMs: number;
  assignor: string | null;
  retry: RetryPolicy;
  requestTimeoutMs: number;
}

export interface MembershipEvents {
  /** The target assignment changed, or partitions were lost: the session should look. */
  changed(): void;
  /** Every owned partition is gone, without commit (fenced, session lost, poll timeout). */
  lost(why: RivuletError): void;
  /** The membership cannot go on. */
  fatal(err: RivuletError): void;
}

type State = 'idle' | 'active' | 'away' | 'stopped';

export class Membership {
  memberId: string;
  memberEpoch = JOIN_EPOCH;
  /** What the broker last said we may own (null before the first answer). */
  target: Set<string> | null = null;
  /** What the consumer owns now, as reported in each heartbeat. */
  owned = new Set<string>();
  subscription: Subscription = { topics: [], regex: null };
  private state: State = 'idle';
  private intervalMs: number;
  private lastSuccessAt = 0;
  private errorsInARow = 0;
  private loop: Promise<void> | undefined;
  private leaving: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private woken = false;
  private heartbeatWaiters: (() => void)[] = [];
  private readonly abort = new AbortController();

  constructor(
    private readonly cluster: Cluster,
    private readonly opts: MembershipOptions,
    private readonly events: MembershipEvents,
  ) {
    this.memberId = globalThis.crypto?.randomUUID?.() ?? '';
    this.intervalMs = opts.heartbeatIntervalMs;
  }

  get groupId(): string {
    return this.opts.groupId;
  }

  get instanceId(): string | null {
    return this.opts.instanceId;
  }

  /** In the group (or joining): false while away after a poll timeout, and once stopped. */
  get active(): boolean {
    return this.state === 'active';
  }

  start(): void {
    if (this.state !== 'idle') return;
    this.state = 'active';
    this.lastSuccessAt = Date.now();
    this.loop = this.run();
  }

  /** Sends a heartbeat now (the owned partitions or the subscription changed). */
  heartbeatNow(): void {
    this.woken = true;
    const w = this.wakeUp;
    this.wakeUp = undefined;
    w?.();
  }

  setOwned(owned: Set<string>): void {
    this.owned = new Set(owned);
    this.heartbeatNow();
  }

  /** Resolves after the next heartbeat answer (or failure), e.g. before retrying a stale commit. */
  nextHeartbeat(): Promise<void> {
    return new Promise((resolve) => {
      this.heartbeatWaiters.push(resolve);
      this.heartbeatNow();
    });
  }

  /** Drops every partition and joins again (a commit learnt that the broker fenced us). */
  fenced(err: RivuletError): void {
    if (this.state === 'stopped') return;
    this.loseAll(err);
    this.heartbeatNow();
  }

  /**
   * The handler took longer than maxPollIntervalMs: the partitions are lost and the member leaves
   * (the others get them); {@link rejoin} comes back once the handler returns.
   */
  leaveForPoll(err: RivuletError): Promise<void> {
    if (this.state !== 'active') return Promise.resolve();
    this.state = 'away';
    const epoch = this.memberEpoch;
    this.loseAll(err);
    this.heartbeatNow();
    this.leaving = (async () => {
      await this.loop;
      if (epoch > 0) await this.sendLeave();
    })();
    return this.leaving;
  }

  /** Comes back after {@link leaveForPoll}, once its leave is done. */
  async rejoin(): Promise<void> {
    await this.leaving;
    if (this.state !== 'away') return;
    this.state = 'active';
    this.memberEpoch = JOIN_EPOCH;
    this.target = null;
    this.lastSuccessAt = Date.now();
    this.loop = this.run();
  }

  /** Stops heartbeating and leaves the group (-1; -2 for a static member, which may come back). */
  async leave(): Promise<void> {
    const wasActive = this.state === 'active';
    this.state = 'stopped';
    this.abort.abort();
    this.heartbeatNow();
    await this.loop;
    this.releaseWaiters();
    await this.leaving;
    if (wasActive && this.memberEpoch > 0) await this.sendLeave();
  }

  private async sendLeave(): Promise<void> {
    const epoch = this.opts.instanceId !== null ? STATIC_LEAVE_EPOCH : LEAVE_EPOCH;
    try {
      await this.cluster.anyConnection().request(
        ConsumerGroupHeartbeat,
        { ...this.baseRequest(), memberEpoch: epoch, topicPartitions: null },
        { timeoutMs: LEAVE_TIMEOUT_MS },
      );
    } catch {
      // The session timeout removes us anyway.
    }
  }

  private baseRequest(): ConsumerGroupHeartbeatRequest {
    return {
      groupId: this.opts.groupId,
      memberId: this.memberId,
      memberEpoch: this.memberEpoch,
      instanceId: this.opts.instanceId,
      rebalanceTimeoutMs: this.opts.rebalanceTimeoutMs,
      subscribedTopicNames: this.subscription.topics,
      subscribedTopicRegex: this.subscription.regex ?? '',
      serverAssignor: this.opts.assignor,
      topicPartitions: toWire(this.owned),
    };
  }

  private loseAll(err: RivuletError): void {
    this.memberEpoch = JOIN_EPOCH;
    this.target = null;
    const had = this.owned.size > 0;
    this.owned = new Set();
    if (had) this.events.lost(err);
    this.events.changed();
  }

  private releaseWaiters(): void {
    const waiters = this.heartbeatWaiters;
    this.heartbeatWaiters = [];
    for (const w of waiters) w();
  }

  private waitForWake(ms: number): Promise<void> {
    if (this.woken) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const self = this;
      function done() {
        clearTimeout(timer);
        if (self.wakeUp === done) self.wakeUp = undefined;
        resolve();
      }
      this.wakeUp = done;
    });
  }

  private async run(): Promise<void> {
    while (this.state === 'active') {
      this.woken = false;
      let waitMs: number;
      try {
        await this.heartbeatOnce();
        this.errorsInARow = 0;
        // Read after the answer: the broker's interval applies from its first answer on, so a
        // member's second heartbeat doesn't wait out the client's default.
        waitMs = this.intervalMs;
      } catch (err) {
        if (this.state !== 'active') break;
        waitMs = this.onError(err);
      }
      this.releaseWaiters();
      if (this.state !== 'active') break;
      await this.waitForWake(waitMs);
    }
  }

  private async heartbeatOnce(): Promise<void> {
    const req = this.baseRequest();
    const sentOwned = this.owned;
    // A heartbeat lost on the way must not hold the next one up for long: half a session at most.
    const timeoutMs = Math.max(1_000, Math.min(this.opts.requestTimeoutMs, Math.floor(this.opts.sessionTimeoutMs / 2)));
    const res = await this.cluster.anyConnection().request(ConsumerGroupHeartbeat, req, { timeoutMs });
    if (this.state !== 'active' || req.memberEpoch !== this.memberEpoch) return; // fenced or left meanwhile
    const body = res.body;
    this.lastSuccessAt = Date.now();
    this.memberId = body.memberId;
    this.memberEpoch = body.memberEpoch;
    if (body.heartbeatIntervalMs > 0) this.intervalMs = body.heartbeatIntervalMs;
    if (body.assignment !== null) {
      this.target = keysOf(body.assignment.topicPartitions);
      this.events.changed();
    }
    // Something was released or taken while the request was out: say so at once.
    if (sentOwned !== this.owned) this.woken = true;
  }

  /** Handles a failed heartbeat; returns how long to wait before the next one. */
  private onError(err: unknown): number {
    const e =
      err instanceof RivuletError ? err : new RivuletError('CONNECTION_ERROR', String(err), { cause: err });
    switch (e.code) {
      case 'UNKNOWN_MEMBER_ID':
      case 'FENCED_MEMBER_EPOCH':
        this.loseAll(e);
        this.errorsInARow = 0;
        return 0;
      case 'UNRELEASED_INSTANCE_ID':
        return backoffMs(this.opts.retry, Math.min(this.errorsInARow++, 8));
    }
    if (!e.retriable) {
      this.state = 'stopped';
      this.events.fatal(e);
      return 0;
    }
    if (Date.now() - this.lastSuccessAt > this.opts.sessionTimeoutMs && (this.owned.size > 0 || this.memberEpoch > 0)) {
      this.loseAll(
        new RivuletError('UNKNOWN_MEMBER_ID', `no heartbeat answered for ${this.opts.sessionTimeoutMs} ms: ${e.message}`, {
          cause: e,
        }),
      );
    }
    return Math.min(backoffMs(this.opts.retry, Math.min(this.errorsInARow++, 8)), this.intervalMs);
  }

  /** Cuts waits short once stopping (the leave must not wait out a backoff). */
  sleep(ms: number): Promise<void> {
    return sleep(ms, this.abort.signal);
  }
}
