/**
 * `rivulet produce <topic>`: one record per line of stdin. Lines are read as bytes (never decoded),
 * grouped into batches as they arrive and sent without waiting for each answer; a bounded number
 * of sends is in flight, so a large pipe streams at the producer's pace with bounded memory. The
 * command exits once stdin has ended and every record is acknowledged (or at the first failure).
 */
import type { Acks, Message, MessageHeadersInput, RecordMetadata } from '../client/types.js';
import {
  CLIENT_OPTIONS,
  EXIT_OK,
  expectPositionals,
  parseCommandArgs,
  parseIntOption,
  parseKeyValue,
  UsageError,
} from './args.js';
import { CLIENT_HELP, explained, openClient } from './connect.js';
import { readLines, splitKey } from './lines.js';
import { explainClientError } from './report.js';
import { writeOut } from './table.js';

const HELP = `Usage: rivulet produce <topic> [options] < records.txt

Sends one record per line of stdin (a trailing \\r is dropped) and exits once stdin ends and every
record is acknowledged. Prints nothing on success unless --verbose.

Options:
  -k, --key-separator SEP  the key is the text before the first SEP on each line (lines without
                           SEP get a null key)
  -H, --header k=v         a header on every record (repeatable; a repeated key sends each value)
  -p, --partition P        send every record to partition P (default: by key hash; keyless
                           records stick to a partition per batch)
  -a, --acks 0|1|all       0 no answer, 1 once in the log, all once on disk (default all)
  -z, --compression TYPE   none or gzip (default none)
  -v, --verbose            print topic, partition and offset of each record (tab-separated)
${CLIENT_HELP}
  -h, --help               show this help

Exit codes: 0 every record acknowledged, 1 failure (broker unreachable, unknown topic,
rejected record), 2 usage error.
`;

const OPTIONS = {
  ...CLIENT_OPTIONS,
  'key-separator': { type: 'string', short: 'k' },
  header: { type: 'string', short: 'H', multiple: true },
  partition: { type: 'string', short: 'p' },
  acks: { type: 'string', short: 'a' },
  compression: { type: 'string', short: 'z' },
  verbose: { type: 'boolean', short: 'v' },
} as const;

/** A batch is sent at the end of each stdin chunk, or sooner once it holds this many records… */
const BATCH_MAX_RECORDS = 4096;
/** …or this many bytes of keys and values. */
const BATCH_MAX_BYTES = 512 * 1024;
/** Sends awaiting their answer before reading more of stdin. */
const MAX_SENDS_IN_FLIGHT = 8;

const COMPRESSIONS = ['none', 'gzip'] as const;

type Outcome = { ok: RecordMetadata[] } | { err: unknown };

export async function produceCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  const [topic] = expectPositionals(positionals, ['topic']) as [string];
  const acks = parseAcks(values.acks);
  const compression = parseCompression(values.compression);
  const partition = values.partition === undefined ? undefined : parseIntOption('partition', values.partition);
  const headers = parseHeaders(values.header);
  const separator = values['key-separator'];
  if (separator === '') throw new UsageError('--key-separator must not be empty');
  const sepBytes = separator === undefined ? undefined : Buffer.from(separator);
  const verbose = values.verbose === true;

  const { client, ctx } = openClient(values);
  const errCtx = partition === undefined ? { ...ctx, topic } : { ...ctx, topic, partition };
  const producer = client.producer({ acks, compression });
  const inFlight: Promise<Outcome>[] = [];
  let failure: { err: unknown } | undefined;

  // Settles the oldest send, printing its offsets in input order.
  const settleOldest = async (): Promise<void> => {
    const outcome = await inFlight.shift()!;
    if ('ok' in outcome && verbose && failure === undefined) await writeOut(metadataLines(outcome.ok));
  };

  let pending: Message[] = [];
  let pendingBytes = 0;
  const dispatch = async (): Promise<void> => {
    if (pending.length === 0) return;
    const messages = pending;
    pending = [];
    pendingBytes = 0;
    inFlight.push(
      producer.send({ topic, messages, acks, compression }).then(
        (ok) => ({ ok }),
        (err: unknown) => {
          failure ??= { err }; // stop reading stdin at once
          return { err };
        },
      ),
    );
    while (inFlight.length >= MAX_SENDS_IN_FLIGHT && failure === undefined) await settleOldest();
  };

  if (process.stdin.isTTY) {
    process.stderr.write(`producing to '${topic}': one record per line, each sent as you type; Ctrl-D to finish\n`);
  }
  try {
    for await (const lines of readLines(process.stdin)) {
      for (const line of lines) {
        const [key, value] = sepBytes === undefined ? [null, line] : splitKey(line, sepBytes);
        const message: Message = { key, value };
        if (headers !== undefined) message.headers = headers;
        if (partition !== undefined) message.partition = partition;
        pending.push(message);
        pendingBytes += line.length;
        if (pending.length >= BATCH_MAX_RECORDS || pendingBytes >= BATCH_MAX_BYTES) await dispatch();
        if (failure !== undefined) break;
      }
      // A short chunk (an interactive line, the end of a pipe) is sent without waiting for more.
      if (failure === undefined) await dispatch();
      if (failure !== undefined) break;
    }
    while (inFlight.length > 0) await settleOldest();
    if (failure !== undefined) throw failure.err;
    await explained(errCtx, () => producer.flush());
  } catch (err) {
    throw explainClientError(err, errCtx);
  } finally {
    process.stdin.destroy();
    await producer.close().catch(() => {});
    await client.close().catch(() => {});
  }
  return EXIT_OK;
}

function metadataLines(results: RecordMetadata[]): string {
  let out = '';
  for (const r of results) out += `${r.topic}\t${r.partition}\t${r.offset}\n`;
  return out;
}

function parseAcks(value: string | undefined): Acks | undefined {
  if (value === undefined) return undefined;
  switch (value) {
    case '0':
      return 0;
    case '1':
      return 1;
    case 'all':
    case '-1':
      return 'all';
    default:
      throw new UsageError(`--acks must be 0, 1 or all, got '${value}'`);
  }
}

function parseCompression(value: string | undefined): (typeof COMPRESSIONS)[number] | undefined {
  if (value === undefined) return undefined;
  if (!(COMPRESSIONS as readonly string[]).includes(value)) {
    throw new UsageError(`--compression must be one of ${COMPRESSIONS.join(', ')}, got '${value}'`);
  }
  return value as (typeof COMPRESSIONS)[number];
}

/** Repeated `--header k=v` into the SDK's header object; a repeated key keeps every value in order. */
function parseHeaders(pairs: string[] | undefined): MessageHeadersInput | undefined {
  if (pairs === undefined || pairs.length === 0) return undefined;
  const headers: Record<string, string[]> = Object.create(null);
  for (const pair of pairs) {
    const [k, v] = parseKeyValue('header', pair);
    const values = headers[k];
    if (values === undefined) headers[k] = [v];
    else values.push(v);
  }
  const out: MessageHeadersInput = Object.create(null);
  for (const [k, vs] of Object.entries(headers)) out[k] = vs.length === 1 ? vs[0] : vs;
  return out;
}
