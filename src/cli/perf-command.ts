/**
 * `rivulet perf produce|consume`: load generators in the spirit of kafka-producer-perf-test and
 * kafka-consumer-perf-test. A line per second while running (on stderr with --json), then a
 * summary: text, or one JSON object on stdout with --json. See perf/produce.ts and perf/consume.ts
 * for what exactly each latency measures.
 */
import type { Acks } from '../client/types.js';
import { CLIENT_OPTIONS, EXIT_OK, parseCommandArgs, parseIntOption, UsageError } from './args.js';
import { CLIENT_HELP } from './connect.js';
import { runConsume } from './perf/consume.js';
import { runProduce } from './perf/produce.js';
import { formatSummary, type PerfSummary } from './perf/reporter.js';

const HELP = `Usage: rivulet perf produce --topic T --records N --record-size B [options]
       rivulet perf consume --topic T --records N [options]

produce: sends N records of B bytes (one random value, reused) and measures each from the send()
that carried it to its acknowledgement.
  --throughput R         at most R records/s (token bucket; default: as fast as possible)
  --acks 0|1|all         default all (answered once on disk)
  --batch-bytes B        producer batch size (default the SDK's, 1 MiB)
  --linger-ms MS         producer linger (default the SDK's, 0)
  --max-in-flight N      produce requests in flight per connection (default the SDK's, 5)
  --buffer-memory B      record bytes sent and not yet acknowledged, per connection, at most
                         (default 33554432: Kafka's buffer.memory); at full speed the latency is
                         about this much data's time in flight
  --connections C        producers, one connection each, sharing the records (default 1)
  --partitions P         create the topic with P partitions (an existing topic must have P)
  --key-cardinality K    records carry K distinct keys, in turn (default 0: no key, sticky
                         partitioning)
  --warmup-records W     first send W records the same way, unmeasured, and wait for their
                         acknowledgements (JIT, connections, first segment pages); default 0

consume: reads N records from the beginning of every partition and measures each from its
produce timestamp to its delivery (end to end; records already in the topic show their age).
  --group G              read as a member of consumer group G, from its committed offsets (from
                         the beginning when it has none)
  --timeout-ms MS        fail when no record arrives for MS (default 30000)

Both:
  --json                 print the summary as one JSON object on stdout (live lines go to stderr)
  --interval-ms MS       live line period (default 1000)
${CLIENT_HELP}
  -h, --help             show this help

Throughput in MB/s counts keys and values, 1 MB = 10^6 bytes.
`;

const OPTIONS = {
  ...CLIENT_OPTIONS,
  topic: { type: 'string', short: 't' },
  records: { type: 'string', short: 'n' },
  'record-size': { type: 'string', short: 's' },
  throughput: { type: 'string' },
  acks: { type: 'string', short: 'a' },
  'batch-bytes': { type: 'string' },
  'linger-ms': { type: 'string' },
  'max-in-flight': { type: 'string' },
  'buffer-memory': { type: 'string' },
  connections: { type: 'string' },
  partitions: { type: 'string' },
  'key-cardinality': { type: 'string' },
  'warmup-records': { type: 'string' },
  group: { type: 'string', short: 'g' },
  'timeout-ms': { type: 'string' },
  'interval-ms': { type: 'string' },
  json: { type: 'boolean' },
} as const;

const PRODUCE_ONLY = [
  'record-size',
  'throughput',
  'acks',
  'batch-bytes',
  'linger-ms',
  'max-in-flight',
  'buffer-memory',
  'connections',
  'partitions',
  'key-cardinality',
  'warmup-records',
] as const;
const CONSUME_ONLY = ['group', 'timeout-ms'] as const;

/** Bounds that keep a typo from allocating the machine away. */
const MAX_RECORD_SIZE = 8 * 1024 * 1024;
const MAX_CONNECTIONS = 64;
const MAX_KEY_CARDINALITY = 10_000_000;
const MAX_BUFFER_MEMORY = 4 * 1024 * 1024 * 1024;

export async function perfCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  const [mode, extra] = positionals;
  if (mode !== 'produce' && mode !== 'consume') {
    throw new UsageError(
      mode === undefined ? "missing 'produce' or 'consume'" : `unknown perf mode '${mode}' (produce or consume)`,
    );
  }
  if (extra !== undefined) throw new UsageError(`unexpected argument '${extra}'`);
  const wrong = (mode === 'produce' ? CONSUME_ONLY : PRODUCE_ONLY).find((k) => values[k] !== undefined);
  if (wrong !== undefined) throw new UsageError(`--${wrong} does not apply to perf ${mode}`);
  const topic = values.topic;
  if (topic === undefined || topic === '') throw new UsageError('--topic is required');
  if (values.records === undefined) throw new UsageError('--records is required');
  const records = parseIntOption('records', values.records, 1);
  const optInt = (name: keyof typeof OPTIONS, min: number, max?: number): number | undefined => {
    const v = values[name];
    return typeof v === 'string' ? parseIntOption(name, v, min, max) : undefined;
  };
  const reportIntervalMs = optInt('interval-ms', 100, 3_600_000) ?? 1000;
  const json = values.json === true;
  const live = (line: string) => {
    (json ? process.stderr : process.stdout).write(`${line}\n`);
  };

  let summary: PerfSummary;
  if (mode === 'produce') {
    if (values['record-size'] === undefined) throw new UsageError('--record-size is required');
    summary = await runProduce(
      {
        topic,
        records,
        recordSize: parseIntOption('record-size', values['record-size'], 0, MAX_RECORD_SIZE),
        throughput: optInt('throughput', 1),
        acks: parseAcks(values.acks),
        batchBytes: optInt('batch-bytes', 1),
        lingerMs: optInt('linger-ms', 0),
        maxInFlight: optInt('max-in-flight', 1),
        bufferMemory: optInt('buffer-memory', 1024, MAX_BUFFER_MEMORY),
        connections: optInt('connections', 1, MAX_CONNECTIONS) ?? 1,
        partitions: optInt('partitions', 1),
        keyCardinality: optInt('key-cardinality', 0, MAX_KEY_CARDINALITY) ?? 0,
        warmupRecords: optInt('warmup-records', 0) ?? 0,
        brokers: values.brokers,
        reportIntervalMs,
      },
      live,
    );
  } else {
    summary = await runConsume(
      {
        topic,
        records,
        group: values.group,
        brokers: values.brokers,
        timeoutMs: optInt('timeout-ms', 1) ?? 30_000,
        reportIntervalMs,
      },
      live,
    );
  }
  process.stdout.write(json ? `${JSON.stringify(summary)}\n` : formatSummary(summary));
  return EXIT_OK;
}

function parseAcks(value: string | undefined): Acks {
  switch (value) {
    case undefined:
    case 'all':
    case '-1':
      return 'all';
    case '0':
      return 0;
    case '1':
      return 1;
    default:
      throw new UsageError(`--acks must be 0, 1 or all, got '${value}'`);
  }
}
