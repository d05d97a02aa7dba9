/**
 * One consumer-group member for curves.ts (`--curve group`), run with an IPC channel. On 'join' it
 * subscribes to the topic from the beginning as a member of the group, pausing every partition it
 * is assigned, and reports its assignment; on 'go' it resumes them. Every 50 ms it reports the
 * records it was handed and the highest offset seen per partition; exits on 'stop'. The parent
 * joins every member, waits for the group to be stable (each partition owned once), then starts
 * every member at the same moment and stops them once every partition's end has been delivered,
 * so the group's rate is measured from one clock, without the join, and redelivery is visible.
 */
import { Rivulet } from '../../src/client/index.js';
import { arg } from './lib.js';

const brokers = arg('brokers', 'ws://127.0.0.1:9080').split(',');
const topic = arg('topic', 't');
const group = arg('group', 'g');

const client = new Rivulet({ brokers, clientId: 'scale-member' });
await client.admin().fetchTopicMetadata({ topics: [topic] });
const consumer = client.consumer({ groupId: group });
let records = 0;
let early = 0;
let bytes = 0;
let started = false;
const high: Record<number, number> = {};
let timer: NodeJS.Timeout | undefined;
const report = () =>
  process.send?.({ records, early, bytes, high, assignment: consumer.assignment().map((a) => a.partition) });
consumer.on('partitions.assigned', (parts) => {
  if (!started) consumer.pause([{ topic, partitions: parts.map((p) => p.partition) }]);
});

process.on('message', (m: unknown) => {
  if (m === 'go') {
    started = true;
    consumer.resume([{ topic }]);
  } else if (m === 'join') {
    void (async () => {
      await consumer.subscribe({ topics: [topic], fromBeginning: true });
      timer = setInterval(report, 50);
      void consumer.run({
        eachBatch: ({ batch }) => {
          const msgs = batch.messages;
          if (started) records += msgs.length;
          else early += msgs.length;
          for (const x of msgs) bytes += x.value?.length ?? 0;
          const last = msgs[msgs.length - 1];
          if (last !== undefined && (high[batch.partition] ?? -1) < last.offset) high[batch.partition] = last.offset;
        },
      });
    })();
  } else if (m === 'stop') {
    clearInterval(timer);
    report();
    void consumer
      .disconnect()
      .catch(() => {})
      .then(() => client.close().catch(() => {}))
      .then(() => process.exit(0));
  }
});
process.send?.('ready');
