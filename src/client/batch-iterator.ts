/**
 * `for await (const batch of consumer)`: the fetcher's results as an async iterator of batches
 * (explicit assignment only). A batch counts as consumed when the next one is asked for.
 */
import { type FetchedBatch, toBatch } from './fetched-batch.js';
import type { Fetcher } from './fetcher.js';
import type { Batch } from './types.js';

/** Iterates over `fetcher`'s results; `onReturn` runs when the loop is left early. */
export function iterateBatches(fetcher: Fetcher, onReturn: () => void): AsyncIterator<Batch> {
  let queue: FetchedBatch[] = [];
  let current: FetchedBatch | undefined;
  const consumeCurrent = () => {
    if (current !== undefined && current.state.generation === current.generation) {
      current.state.position = current.messages[current.messages.length - 1]!.offset + 1;
    }
    current?.release();
    current = undefined;
  };
  return {
    next: async (): Promise<IteratorResult<Batch>> => {
      consumeCurrent();
      for (;;) {
        while (queue.length > 0) {
          const b = queue.shift()!;
          if (b.state.generation !== b.generation || b.state.paused) continue;
          if (b.messages.length === 0) continue; // decoded here; a corrupt record throws
          current = b;
          return { done: false, value: toBatch(b) };
        }
        const next = await fetcher.take();
        if (next === undefined) return { done: true, value: undefined };
        queue = next;
      }
    },
    return: async (): Promise<IteratorResult<Batch>> => {
      consumeCurrent();
      onReturn();
      return { done: true, value: undefined };
    },
  };
}
