/**
 * The consumer's options and arguments: their defaults, and the checks that turn a bad value into
 * an INVALID_ARGUMENT naming it, before anything is sent.
 */
import { RivuletError } from '../errors.js';
import type { FetcherOptions } from './fetcher.js';
import type { GroupSessionOptions } from './group/session.js';
import type { RetryPolicy } from './retry.js';
import type { ConsumerOptions, OffsetSpec } from './types.js';

const DEFAULT_MAX_WAIT_MS = 500;
const DEFAULT_MAX_BYTES = 10 * 1024 * 1024;
const DEFAULT_MAX_BYTES_PER_PARTITION = 1024 * 1024;
const DEFAULT_SESSION_TIMEOUT_MS = 45_000;
const DEFAULT_HEARTBEAT_INTERVAL_MS = 3_000;
const DEFAULT_MAX_POLL_INTERVAL_MS = 300_000;
export const DEFAULT_AUTO_COMMIT_INTERVAL_MS = 5_000;

/** The fetcher's options; `autoOffsetReset` is checked here (default 'latest', Kafka's). */
export function fetcherOptions(opts: ConsumerOptions, retry: RetryPolicy, requestTimeoutMs: number): FetcherOptions {
  const reset = opts.autoOffsetReset ?? 'latest';
  if (reset !== 'earliest' && reset !== 'latest' && reset !== 'none') {
    throw new RivuletError('INVALID_ARGUMENT', `autoOffsetReset must be 'earliest', 'latest' or 'none', got ${String(reset)}`);
  }
  return {
    maxWaitMs: opts.maxWaitMs ?? DEFAULT_MAX_WAIT_MS,
    minBytes: opts.minBytes ?? 1,
    maxBytes: opts.maxBytes ?? DEFAULT_MAX_BYTES,
    maxBytesPerPartition: opts.maxBytesPerPartition ?? DEFAULT_MAX_BYTES_PER_PARTITION,
    autoOffsetReset: reset,
    verifyCrc: opts.verifyCrc ?? true,
    retry,
    requestTimeoutMs,
  };
}

/** A group consumer's session options (`opts.groupId` is set). */
export function groupSessionOptions(opts: ConsumerOptions, retry: RetryPolicy): GroupSessionOptions {
  const groupId = opts.groupId;
  if (typeof groupId !== 'string' || groupId.length === 0) throw new RivuletError('INVALID_ARGUMENT', 'groupId must be a non-empty string');
  const assignor = opts.assignor ?? null;
  if (assignor !== null && assignor !== 'sticky' && assignor !== 'range' && assignor !== 'roundrobin') {
    throw new RivuletError('INVALID_ARGUMENT', `assignor must be 'sticky', 'range' or 'roundrobin', got ${String(assignor)}`);
  }
  const maxPollIntervalMs = optionalMs(opts.maxPollIntervalMs, DEFAULT_MAX_POLL_INTERVAL_MS, 'maxPollIntervalMs');
  return {
    groupId,
    instanceId: opts.groupInstanceId ?? null,
    rebalanceTimeoutMs: optionalMs(opts.rebalanceTimeoutMs, maxPollIntervalMs, 'rebalanceTimeoutMs'),
    sessionTimeoutMs: optionalMs(opts.sessionTimeoutMs, DEFAULT_SESSION_TIMEOUT_MS, 'sessionTimeoutMs'),
    heartbeatIntervalMs: optionalMs(opts.heartbeatIntervalMs, DEFAULT_HEARTBEAT_INTERVAL_MS, 'heartbeatIntervalMs'),
    assignor,
    maxPollIntervalMs,
    retry,
  };
}

export function optionalMs(v: number | undefined, fallback: number, name: string): number {
  if (v === undefined) return fallback;
  if (!Number.isSafeInteger(v) || v <= 0) throw new RivuletError('INVALID_ARGUMENT', `${name} must be a positive integer (ms), got ${String(v)}`);
  return v;
}

export function checkSpec(spec: OffsetSpec, path: string): OffsetSpec {
  if (spec === 'earliest' || spec === 'latest') return spec;
  if (typeof spec === 'number' && Number.isSafeInteger(spec) && spec >= 0) return spec;
  if (typeof spec === 'object' && spec !== null && Number.isSafeInteger(spec.timestamp) && spec.timestamp >= 0) {
    return { timestamp: spec.timestamp };
  }
  throw new RivuletError(
    'INVALID_ARGUMENT',
    `${path}: offset must be an offset ≥ 0, 'earliest', 'latest' or { timestamp }, got ${JSON.stringify(spec)}`,
    { path },
  );
}

export function checkTopicPartition(topic: unknown, partition: unknown, path: string): void {
  if (typeof topic !== 'string' || topic.length === 0) {
    throw new RivuletError('INVALID_ARGUMENT', `${path}/topic must be a non-empty string`, { path: `${path}/topic` });
  }
  if (!Number.isSafeInteger(partition) || (partition as number) < 0) {
    throw new RivuletError('INVALID_ARGUMENT', `${path}/partition must be an integer ≥ 0`, { path: `${path}/partition` });
  }
}
