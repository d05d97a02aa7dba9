/**
 * The bytes of a Produce request and the reading of its answer, for the sender: one request
 * carries one batch per partition, the body lists them topic by topic, and the payload holds the
 * batches in exactly that order (docs/PROTOCOL.md, Produce).
 */
import { RivuletError } from '../errors.js';
import type { ProduceRequest, ProduceResponse } from '../protocol/apis/produce.js';
import type { OutgoingBatch, PartitionQueue } from './accumulator.js';

export interface Item {
  q: PartitionQueue;
  b: OutgoingBatch;
}

/** The body's topics and the payload, in matching order. Every item's batch is encoded. */
export function produceRequest(items: Item[]): { topics: ProduceRequest['topics']; payload: Uint8Array[] } {
  const byTopic = new Map<string, Item[]>();
  for (const item of items) {
    const list = byTopic.get(item.q.topic);
    if (list === undefined) byTopic.set(item.q.topic, [item]);
    else list.push(item);
  }
  const topics: ProduceRequest['topics'] = [];
  const payload: Uint8Array[] = [];
  for (const [name, list] of byTopic) {
    topics.push({ name, partitions: list.map(({ q, b }) => ({ index: q.partition, bytes: b.bytes!.length })) });
    for (const { b } of list) payload.push(b.bytes!);
  }
  return { topics, payload };
}

/**
 * Calls `ok` or `fail` for each item from the answer; an error is located by its path in the
 * response (`topics/0/partitions/2`). A partition the answer leaves out is a PROTOCOL_ERROR.
 */
export function readProduceAnswer(
  body: ProduceResponse,
  items: Item[],
  ok: (item: Item, baseOffset: number) => void,
  fail: (item: Item, err: RivuletError) => void,
): void {
  type Answer = { pr: ProduceResponse['topics'][number]['partitions'][number]; path: string };
  const answers = new Map<string, Answer>();
  body.topics.forEach((t, ti) => {
    t.partitions.forEach((pr, pi) => {
      answers.set(`${t.name}\u0000${pr.index}`, { pr, path: `topics/${ti}/partitions/${pi}` });
    });
  });
  for (const item of items) {
    const { q } = item;
    const answer = answers.get(`${q.topic}\u0000${q.partition}`);
    if (answer === undefined) {
      fail(item, new RivuletError('PROTOCOL_ERROR', `Produce response has no answer for ${q.topic}/${q.partition}`));
    } else if (answer.pr.errorCode === 0) {
      ok(item, answer.pr.baseOffset);
    } else {
      const { pr, path } = answer;
      fail(item, RivuletError.fromWire(pr.errorCode, pr.errorMessage ?? undefined, path, pr.details ?? undefined));
    }
  }
}
