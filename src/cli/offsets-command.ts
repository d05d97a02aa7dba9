/**
 * `rivulet offsets <topic>`: each partition's low (log start) and high (high watermark) offsets,
 * and with `--timestamp` the first offset whose record is at or after that time.
 */
import { CLIENT_OPTIONS, EXIT_OK, expectPositionals, parseCommandArgs, parseTimestamp } from './args.js';
import { CLIENT_HELP, explained, openClient } from './connect.js';
import { table } from './table.js';

const HELP = `Usage: rivulet offsets <topic> [options]

Prints each partition's low offset (the first still in the log) and high offset (the next to be
written). With --timestamp, also the first offset whose record is at or after that time (the high offset
when no record is that recent: a consumer starting there waits for new records).

Options:
  -t, --timestamp T    epoch milliseconds or an ISO 8601 date (2024-05-01T12:00:00Z)
      --json           machine-readable output
${CLIENT_HELP}
  -h, --help           show this help

Exit codes: 0 ok, 1 failure (broker unreachable, unknown topic), 2 usage error.
`;

const OPTIONS = {
  ...CLIENT_OPTIONS,
  timestamp: { type: 'string', short: 't' },
  json: { type: 'boolean' },
} as const;

interface Row {
  partition: number;
  low: number;
  high: number;
  offset?: number;
}

export async function offsetsCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  const [topic] = expectPositionals(positionals, ['topic']) as [string];
  const timestamp = values.timestamp === undefined ? undefined : parseTimestamp('timestamp', values.timestamp);
  const { client, ctx } = openClient(values);
  const admin = client.admin();
  let rows: Row[];
  try {
    rows = await explained({ ...ctx, topic }, async () => {
      const offsets = await admin.fetchTopicOffsets(topic);
      const byTime = timestamp === undefined ? undefined : await admin.fetchTopicOffsetsByTimestamp(topic, timestamp);
      const timeOffset = new Map((byTime ?? []).map((o) => [o.partition, o.offset]));
      return offsets
        .map((o) => {
          const row: Row = { partition: o.partition, low: o.low, high: o.high };
          if (timestamp !== undefined) row.offset = timeOffset.get(o.partition) ?? -1;
          return row;
        })
        .sort((a, b) => a.partition - b.partition);
    });
  } finally {
    await client.close().catch(() => {});
  }
  if (values.json) {
    process.stdout.write(
      `${JSON.stringify(timestamp === undefined ? { topic, partitions: rows } : { topic, timestamp, partitions: rows }, null, 2)}\n`,
    );
    return EXIT_OK;
  }
  const header = ['PARTITION', 'LOW', 'HIGH'];
  if (timestamp !== undefined) header.push(`OFFSET@${new Date(timestamp).toISOString()}`);
  process.stdout.write(
    table(
      header,
      rows.map((r) => {
        const cells: Array<string | number> = [r.partition, r.low, r.high];
        if (r.offset !== undefined) cells.push(r.offset < 0 ? '-' : r.offset);
        return cells;
      }),
    ),
  );
  return EXIT_OK;
}
