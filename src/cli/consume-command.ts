/**
 * `rivulet consume <topic>`: prints records of a topic's partitions, one line each through a
 * `--format` template, from a chosen start (the end, the beginning, an offset or a time). Runs
 * until --max-messages, --timeout-ms of silence, a signal, or the reader of stdout going away.
 * Output honours the pipe's backpressure: a slow reader slows the fetching.
 */
import type { OffsetSpec } from '../client/types.js';
import {
  CLIENT_OPTIONS,
  CliError,
  EXIT_OK,
  expectPositionals,
  parseCommandArgs,
  parseIntOption,
  parseTimestamp,
  UsageError,
} from './args.js';
import { CLIENT_HELP, explained, openClient } from './connect.js';
import { compileFormat, DEFAULT_FORMAT, PLACEHOLDERS } from './record-format.js';
import { explainClientError } from './report.js';

const HELP = `Usage: rivulet consume <topic> [options]

Prints records as they arrive, one line each, from every partition (or one with --partition).
Starts at the end of each partition unless told otherwise. Rides out a broker restart: after 5 s
without an answer it warns on stderr and keeps retrying (with --timeout-ms, a lost broker is exit 1).

Options:
      --from-beginning     start at the first record still in the log
  -o, --offset N           start at offset N (of each partition read)
  -t, --timestamp T        start at the first record at or after T (epoch ms or ISO 8601 date)
  -p, --partition P        read only partition P (default: all partitions)
  -n, --max-messages N     exit 0 after printing N records
      --timeout-ms MS      exit 0 when no record arrives for MS milliseconds
  -f, --format TEMPLATE    line template (default '${DEFAULT_FORMAT}'); placeholders:
                           ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}
                           escapes \\t \\n \\\\ \\{ \\}; keys and values print as UTF-8,
                           headers as k=v,k=v
${CLIENT_HELP}
  -h, --help               show this help

Examples:
  rivulet consume orders --from-beginning --format '{partition}:{offset}\\t{key}\\t{value}'
  rivulet consume orders --timestamp 2024-05-01T00:00:00Z --max-messages 10

Exit codes: 0 ok (stopped by --max-messages, --timeout-ms or a closed pipe), 1 failure (broker
unreachable, unknown topic), 2 usage error, 130 interrupted.
`;

const OPTIONS = {
  ...CLIENT_OPTIONS,
  'from-beginning': { type: 'boolean' },
  offset: { type: 'string', short: 'o' },
  timestamp: { type: 'string', short: 't' },
  partition: { type: 'string', short: 'p' },
  'max-messages': { type: 'string', short: 'n' },
  'timeout-ms': { type: 'string' },
  format: { type: 'string', short: 'f' },
} as const;

const EXIT_SIGINT = 130;
const EXIT_SIGTERM = 143;
/** Long-poll wait of each fetch: short enough that --timeout-ms and signals are honoured promptly. */
const FETCH_MAX_WAIT_MS = 250;
/**
 * Fetch sizes below the SDK's defaults: decoded small records cost far more memory than their
 * bytes, and a console consumer gains nothing from holding 10 MiB of them.
 */
const FETCH_MAX_BYTES = 2 * 1024 * 1024;
const FETCH_MAX_PARTITION_BYTES = 1024 * 1024;
/**
 * The consumer rides out a broker restart (the SDK retries fetches forever); after this long
 * without an answer the user is told it is retrying, and told again when the broker is back.
 */
const BROKER_SILENCE_WARN_MS = 5_000;
/** A live broker answers every long-poll within FETCH_MAX_WAIT_MS; four of them missed means it is gone. */
const SILENT_BROKER_MS = 4 * FETCH_MAX_WAIT_MS;
const WATCHDOG_INTERVAL_MS = 1_000;

export async function consumeCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  const [topic] = expectPositionals(positionals, ['topic']) as [string];
  const start = parseStart(values);
  const onlyPartition = values.partition === undefined ? undefined : parseIntOption('partition', values.partition);
  const maxMessages =
    values['max-messages'] === undefined ? undefined : parseIntOption('max-messages', values['max-messages'], 1);
  const timeoutMs =
    values['timeout-ms'] === undefined ? undefined : parseIntOption('timeout-ms', values['timeout-ms'], 1);
  const format = compileFormat(values.format ?? DEFAULT_FORMAT);

  const { client, ctx, lastAnswerAt } = openClient(values);
  const errCtx = { ...ctx, topic };
  const where = ctx.brokers.join(',');
  const consumer = client.consumer({
    maxWaitMs: FETCH_MAX_WAIT_MS,
    maxBytes: FETCH_MAX_BYTES,
    maxBytesPerPartition: FETCH_MAX_PARTITION_BYTES,
  });
  let settle!: (outcome: { code: number } | { err: unknown }) => void;
  const finished = new Promise<{ code: number } | { err: unknown }>((resolve) => {
    settle = resolve;
  });
  let stopped = false;
  const stop = (outcome: { code: number } | { err: unknown }): void => {
    if (stopped) return;
    stopped = true;
    settle(outcome);
  };

  const onSigint = (): void => stop({ code: EXIT_SIGINT });
  const onSigterm = (): void => stop({ code: EXIT_SIGTERM });
  // The reader went away (`| head`): nothing more can be printed, which is a normal end.
  const onStdoutError = (err: NodeJS.ErrnoException): void =>
    stop(err.code === 'EPIPE' ? { code: EXIT_OK } : { err: new CliError(`cannot write output: ${err.message}`) });
  process.once('SIGINT', onSigint);
  process.once('SIGTERM', onSigterm);
  process.stdout.on('error', onStdoutError);

  let idleTimer: NodeJS.Timeout | undefined;
  const armIdleTimer = (): void => {
    if (timeoutMs === undefined) return;
    clearTimeout(idleTimer);
    idleTimer = setTimeout(() => {
      // Silence from a broker that is gone is a failure, not the end of the data.
      const silentMs = Date.now() - lastAnswerAt();
      if (silentMs >= SILENT_BROKER_MS) {
        stop({ err: new CliError(`lost the broker at ${where}: no answer for ${silentMs} ms`) });
      } else {
        stop({ code: EXIT_OK });
      }
    }, timeoutMs);
  };

  // Until the consumer runs, a signal must not wait for a slow connection attempt to give up.
  const stoppedEarly = finished.then(() => undefined);
  let watchdog: NodeJS.Timeout | undefined;
  let printed = 0;
  try {
    const partitions = await Promise.race([explained(errCtx, () => partitionsOf(client, topic)), stoppedEarly]);
    if (partitions === undefined) {
      const outcome = await finished;
      if ('err' in outcome) throw outcome.err;
      return outcome.code;
    }
    if (onlyPartition !== undefined && !partitions.includes(onlyPartition)) {
      throw new CliError(`topic '${topic}' has no partition ${onlyPartition} (it has ${partitions.length})`);
    }
    const assigned = onlyPartition === undefined ? partitions : [onlyPartition];
    await explained(errCtx, async () => {
      consumer.assign(assigned.map((partition) => ({ topic, partition, offset: start })));
    });
    armIdleTimer();
    watchdog = watchBroker(lastAnswerAt, where);
    const running = consumer.run({
      eachBatch: async ({ batch }) => {
        if (stopped || batch.messages.length === 0) return;
        armIdleTimer();
        let out = '';
        for (const message of batch.messages) {
          out += `${format({ topic: batch.topic, partition: batch.partition, ...message })}\n`;
          printed++;
          if (printed === maxMessages) break;
        }
        if (!process.stdout.write(out)) await drainOrStop(() => stopped);
        if (printed === maxMessages) stop({ code: EXIT_OK });
      },
    });
    Promise.resolve(running).catch((err: unknown) => stop({ err }));
    const outcome = await finished;
    if ('err' in outcome) throw outcome.err;
    return outcome.code;
  } catch (err) {
    throw explainClientError(err, errCtx);
  } finally {
    stop({ code: EXIT_OK });
    clearTimeout(idleTimer);
    clearInterval(watchdog);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
    await consumer.disconnect().catch(() => {});
    await client.close().catch(() => {});
  }
}

/** Tells the user on stderr when the broker stops answering, and when it answers again. */
function watchBroker(lastAnswerAt: () => number, where: string): NodeJS.Timeout {
  let warned = false;
  return setInterval(() => {
    const silentMs = Date.now() - lastAnswerAt();
    if (!warned && silentMs >= BROKER_SILENCE_WARN_MS) {
      warned = true;
      const seconds = Math.round(silentMs / 1000);
      process.stderr.write(
        `warning: no answer from the broker at ${where} for ${seconds} s; still retrying (Ctrl-C to stop)\n`,
      );
    } else if (warned && silentMs < WATCHDOG_INTERVAL_MS) {
      warned = false;
      process.stderr.write(`broker at ${where} answers again; consuming\n`);
    }
  }, WATCHDOG_INTERVAL_MS);
}

/** Where each partition starts: at most one of --from-beginning, --offset, --timestamp. */
function parseStart(values: {
  'from-beginning'?: boolean | undefined;
  offset?: string | undefined;
  timestamp?: string | undefined;
}): OffsetSpec {
  const given = (['from-beginning', 'offset', 'timestamp'] as const).filter((k) => values[k] !== undefined);
  if (given.length > 1) throw new UsageError(`--${given[0]} and --${given[1]} cannot be used together`);
  if (values['from-beginning']) return 'earliest';
  if (values.offset !== undefined) return parseIntOption('offset', values.offset);
  if (values.timestamp !== undefined) return { timestamp: parseTimestamp('timestamp', values.timestamp) };
  return 'latest';
}

async function partitionsOf(client: ReturnType<typeof openClient>['client'], topic: string): Promise<number[]> {
  const meta = await client.admin().fetchTopicMetadata({ topics: [topic] });
  const ids = (meta.topics.find((t) => t.name === topic)?.partitions ?? []).map((p) => p.partitionId);
  return ids.sort((a, b) => a - b);
}

/** Waits for stdout to drain, or gives up when the command is stopping (a closed pipe never drains). */
function drainOrStop(isStopped: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const check = setInterval(() => {
      if (isStopped()) done();
    }, 100);
    const done = (): void => {
      clearInterval(check);
      process.stdout.off('drain', done);
      resolve();
    };
    process.stdout.once('drain', done);
  });
}
