/**
 * The application's hold on its assigned partitions: where each stands (`position`), moving it
 * (`seek`), and pausing. All of it is bookkeeping on the fetcher's {@link PartitionState}s; a
 * change the fetch loop must see wakes it.
 */
import { RivuletError } from '../errors.js';
import { checkSpec, checkTopicPartition } from './consumer-options.js';
import type { Fetcher, PartitionState } from './fetcher.js';
import type { OffsetSpec, TopicPartitions } from './types.js';

export function assignmentOf(fetcher: Fetcher): { topic: string; partition: number }[] {
  return [...fetcher.partitions].map((s) => ({ topic: s.topic, partition: s.partition }));
}

/** The next offset the application gets from a partition (-1 while its start is being resolved). */
export function positionOf(fetcher: Fetcher, topic: string, partition: number): number {
  const s = fetcher.state(topic, partition);
  if (s === undefined) throw notAssigned(topic, partition);
  return s.fetchOffset < 0 ? -1 : s.position;
}

/** Continues a partition from `offset`; data fetched before is dropped. */
export function seekTo(fetcher: Fetcher, topic: string, partition: number, offset: OffsetSpec): void {
  checkTopicPartition(topic, partition, 'seek');
  const s = fetcher.state(topic, partition);
  if (s === undefined) throw notAssigned(topic, partition);
  s.reset(checkSpec(offset, 'seek/offset'));
  s.position = -1;
  fetcher.wake();
}

export function pausePartitions(fetcher: Fetcher, topics: TopicPartitions[]): void {
  for (const s of select(fetcher, topics)) s.paused = true;
}

export function resumePartitions(fetcher: Fetcher, topics: TopicPartitions[]): void {
  for (const s of select(fetcher, topics)) {
    if (!s.paused) continue;
    s.paused = false;
    s.rewind(); // anything fetched while paused was skipped: fetch it again
  }
  fetcher.wake();
}

export function pausedPartitions(fetcher: Fetcher): { topic: string; partitions: number[] }[] {
  const byTopic = new Map<string, number[]>();
  for (const s of fetcher.partitions) {
    if (!s.paused) continue;
    const list = byTopic.get(s.topic);
    if (list === undefined) byTopic.set(s.topic, [s.partition]);
    else list.push(s.partition);
  }
  return [...byTopic].map(([topic, partitions]) => ({ topic, partitions }));
}

function select(fetcher: Fetcher, topics: TopicPartitions[]): PartitionState[] {
  if (!Array.isArray(topics)) throw new RivuletError('INVALID_ARGUMENT', 'expected an array of { topic, partitions? }');
  const out: PartitionState[] = [];
  for (const { topic, partitions } of topics) {
    for (const s of fetcher.partitions) {
      if (s.topic === topic && (partitions === undefined || partitions.includes(s.partition))) out.push(s);
    }
  }
  return out;
}

function notAssigned(topic: string, partition: number): RivuletError {
  return new RivuletError('INVALID_ARGUMENT', `${topic}/${partition} is not assigned to this consumer`, {
    path: `${topic}/${partition}`,
  });
}
