/**
 * `rivulet perf consume`: reads N records of a topic from the beginning of every partition (or, with
 * --group, as a member of that consumer group, from its committed offsets) and
 * measures each record end to end: from its produce timestamp (CreateTime, set by the producer,
 * millisecond resolution) to its delivery to the handler. Records already in the topic when the
 * run starts therefore show how long they waited, as with kafka-consumer-perf-test.
 */
import type { Rivulet } from '../../client/index.js';
import { CliError } from '../args.js';
import { explained, openClient } from '../connect.js';
import { explainClientError } from '../report.js';
import { measureBatch, type Runs, runsFor } from './consume-measure.js';
import { PerfReporter, type PerfSummary } from './reporter.js';

export interface ConsumeSettings {
  topic: string;
  records: number;
  group: string | undefined;
  brokers: string | undefined;
  /** Give up when no record arrives for this long. */
  timeoutMs: number;
  reportIntervalMs: number;
}

export async function runConsume(s: ConsumeSettings, live: (line: string) => void): Promise<PerfSummary> {
  const { client, ctx, lastAnswerAt } = openClient({ brokers: s.brokers, 'client-id': 'rivulet-perf' });
  const errCtx = { ...ctx, topic: s.topic };
  const consumer = client.consumer(s.group === undefined ? {} : { groupId: s.group });
  let interval: NodeJS.Timeout | undefined;
  let idle: NodeJS.Timeout | undefined;
  try {
    const partitions = await explained(errCtx, () => partitionsOf(client, s.topic));
    if (partitions.length === 0) throw new CliError(`topic '${s.topic}' does not exist`);

    let settle!: (err?: unknown) => void;
    const finished = new Promise<unknown>((resolve) => {
      settle = resolve;
    });
    let done = false;
    const finish = (err?: unknown) => {
      if (done) return;
      done = true;
      settle(err);
    };
    let lastRecordAt = performance.now();
    idle = setInterval(
      () => {
        const silent = performance.now() - lastRecordAt;
        if (silent < s.timeoutMs) return;
        const broker = Date.now() - lastAnswerAt() > s.timeoutMs ? ' (and the broker stopped answering)' : '';
        finish(
          new CliError(
            `only ${reporter.records} of ${s.records} records arrived; none for ${Math.round(silent)} ms${broker}`,
          ),
        );
      },
      Math.min(1000, s.timeoutMs),
    );

    const start = performance.now();
    const reporter = new PerfReporter('consumed', live, start);
    interval = setInterval(() => reporter.tick(undefined), s.reportIntervalMs);
    let end = start;
    if (s.group !== undefined) {
      // With no committed offsets the group starts at the beginning; with some, where it left off.
      await explained(errCtx, async () => consumer.subscribe({ topics: [s.topic], fromBeginning: true }));
    } else {
      consumer.assign(partitions.map((partition) => ({ topic: s.topic, partition, offset: 'earliest' as const })));
    }
    let runs: Runs | undefined;
    const running = consumer.run({
      eachBatch: ({ batch }) => {
        if (done) return;
        const now = Date.now();
        lastRecordAt = performance.now();
        const n = Math.min(batch.messages.length, s.records - reporter.records);
        runs = runsFor(n, runs);
        measureBatch(batch.messages, n, now, reporter, runs);
        if (reporter.records >= s.records) {
          end = performance.now();
          finish();
        }
      },
    });
    Promise.resolve(running).then(
      () => finish(new CliError('the consumer stopped before every record arrived')),
      (err: unknown) => finish(err),
    );
    const err = await finished;
    if (err !== undefined) throw explainClientError(err, errCtx);
    clearInterval(interval);
    interval = undefined;
    const elapsed = end - start;
    if (elapsed >= s.reportIntervalMs) reporter.tick(undefined, end);
    return reporter.summary('consume', s.topic, elapsed, {
      group: s.group ?? null,
      partitions: partitions.length,
    });
  } finally {
    clearInterval(interval);
    clearInterval(idle);
    await consumer.disconnect().catch(() => {});
    await client.close().catch(() => {});
  }
}

async function partitionsOf(client: Rivulet, topic: string): Promise<number[]> {
  const meta = await client.admin().fetchTopicMetadata({ topics: [topic] });
  return (meta.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => p.partitionId).sort((a, b) => a - b);
}
