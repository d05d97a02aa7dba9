/**
 * Retry policy: exponential backoff with jitter, applied only to errors that say they are
 * retriable (`RivuletError.retriable`). Never "retry everything".
 */
import { RivuletError } from '../errors.js';

export interface RetryOptions {
  /** Retries after the first attempt. Default 5. */
  retries?: number;
  /** The first wait, in ms. Default 100. */
  initialRetryTimeMs?: number;
  /** The longest wait, in ms. Default 30 000. */
  maxRetryTimeMs?: number;
  /** Each wait is the previous one times this. Default 2. */
  multiplier?: number;
  /** Jitter: each wait is randomised by ± this fraction. Default 0.2. */
  factor?: number;
}

export type RetryPolicy = Required<RetryOptions>;

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({
  retries: 5,
  initialRetryTimeMs: 100,
  maxRetryTimeMs: 30_000,
  multiplier: 2,
  factor: 0.2,
});

export function retryPolicy(...layers: (RetryOptions | undefined)[]): RetryPolicy {
  const out: RetryPolicy = { ...DEFAULT_RETRY };
  for (const layer of layers) {
    if (layer === undefined) continue;
    for (const key of Object.keys(DEFAULT_RETRY) as (keyof RetryPolicy)[]) {
      const v = layer[key];
      if (v === undefined) continue;
      if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) {
        throw new RivuletError('INVALID_ARGUMENT', `retry.${key} must be a non-negative number, got ${String(v)}`);
      }
      out[key] = v;
    }
  }
  return out;
}

/** The wait before retry number `attempt` (0 = the first retry), jittered. */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  const base = Math.min(policy.maxRetryTimeMs, policy.initialRetryTimeMs * policy.multiplier ** attempt);
  const jitter = 1 + policy.factor * (Math.random() * 2 - 1);
  return Math.max(0, Math.round(Math.min(policy.maxRetryTimeMs, base * jitter)));
}

/** A timer promise that `signal` cuts short (it then resolves early; callers check their own state). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) {
      resolve();
      return;
    }
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}

export function isRetriableError(err: unknown): boolean {
  return err instanceof RivuletError && err.retriable;
}

export interface RetryContext {
  /** 0 for the first attempt. */
  attempt: number;
  /** The error of the previous attempt, if any. */
  lastError: unknown;
}

/**
 * Runs `fn` until it succeeds, it fails with a non-retriable error, or `policy.retries` retries
 * are used up (the last error is thrown then). `onRetry` runs before each wait (e.g. to drop a
 * stale metadata cache); `shouldStop` ends the loop early with the last error.
 */
export async function withRetry<T>(
  policy: RetryPolicy,
  fn: (ctx: RetryContext) => Promise<T>,
  hooks: { onRetry?: (err: unknown, attempt: number) => void; shouldStop?: () => boolean } = {},
): Promise<T> {
  let lastError: unknown;
  for (let attempt = 0; ; attempt++) {
    try {
      return await fn({ attempt, lastError });
    } catch (err) {
      lastError = err;
      if (!isRetriableError(err) || attempt >= policy.retries || hooks.shouldStop?.()) throw err;
      hooks.onRetry?.(err, attempt);
      await sleep(backoffMs(policy, attempt));
      if (hooks.shouldStop?.()) throw err;
    }
  }
}
