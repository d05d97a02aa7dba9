/**
 * `rivulet groups list|describe|reset-offsets|delete`: consumer-group administration through the
 * SDK's admin client. `describe` shows the state, the members with their partitions, and per
 * partition the committed offset, the log end offset and the lag. Resetting offsets is refused
 * while the group has members (stop its consumers first), as Kafka's tool does.
 */
import type { Admin } from '../client/index.js';
import { RivuletError } from '../errors.js';
import {
  CLIENT_OPTIONS,
  CliError,
  EXIT_OK,
  expectPositionals,
  type Parsed,
  parseSubcommand,
  parseIntOption,
  parseTimestamp,
  UsageError,
} from './args.js';
import { CLIENT_HELP, explained, openClient } from './connect.js';
import type { ErrorContext } from './report.js';
import { table } from './table.js';

const HELP = `Usage: rivulet groups <subcommand> [options]

Subcommands:
  list               every consumer group and its state
  describe <group> [--json]
                     state, members and their partitions; per partition the committed offset,
                     the log end offset and the lag
  reset-offsets <group> --topic T (--to-earliest | --to-latest | --to-offset N | --to-datetime T)
                     move the group's committed offsets of a topic (the group must have no
                     active members: stop its consumers first)
  delete <group>     delete a group that has no members, and its committed offsets

Options:
  -t, --topic T        the topic whose offsets to reset
      --to-earliest    to each partition's first offset still in the log
      --to-latest      to each partition's end (skip everything written so far)
      --to-offset N    to offset N in every partition (capped to the log's bounds)
      --to-datetime T  to the first record at or after T: epoch ms or ISO 8601 (2024-05-01T12:00:00Z)
      --json           machine-readable output (list, describe)
${CLIENT_HELP}
  -h, --help           show this help

Exit codes: 0 ok, 1 failure (broker unreachable, unknown group, group has members), 2 usage error.
`;

const OPTIONS = {
  ...CLIENT_OPTIONS,
  topic: { type: 'string', short: 't' },
  'to-earliest': { type: 'boolean' },
  'to-latest': { type: 'boolean' },
  'to-offset': { type: 'string' },
  'to-datetime': { type: 'string' },
  json: { type: 'boolean' },
} as const;

type Values = Parsed<typeof OPTIONS>['values'];

const SUBCOMMANDS = ['list', 'describe', 'reset-offsets', 'delete'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

const RESET_OPTIONS = ['topic', 'to-earliest', 'to-latest', 'to-offset', 'to-datetime'] as const;
const ALLOWED: Record<Subcommand, Array<keyof typeof OPTIONS>> = {
  list: ['json'],
  describe: ['json'],
  'reset-offsets': [...RESET_OPTIONS],
  delete: [],
};

export async function groupsCommand(argv: string[]): Promise<number> {
  const parsed = parseSubcommand(argv, {
    command: 'groups',
    help: HELP,
    subcommands: SUBCOMMANDS,
    options: OPTIONS,
    allowed: ALLOWED,
  });
  if (typeof parsed === 'number') return parsed;
  const { subcommand, values, positionals } = parsed;
  if (subcommand === 'list') {
    expectPositionals(positionals, []);
    return list(values);
  }
  const [group] = expectPositionals(positionals, ['group']) as [string];
  switch (subcommand) {
    case 'describe':
      return describe(group, values);
    case 'reset-offsets':
      return resetOffsets(group, values);
    case 'delete':
      return remove(group, values);
  }
}

/** Runs `fn` with an admin client, phrasing group errors for a person. */
async function withAdmin<T>(values: Values, group: string | undefined, topic: string | undefined, fn: (admin: Admin) => Promise<T>): Promise<T> {
  const { client, ctx } = openClient(values);
  const errorCtx: ErrorContext = topic === undefined ? ctx : { ...ctx, topic };
  try {
    return await explained(errorCtx, async () => {
      try {
        return await fn(client.admin());
      } catch (err) {
        throw groupError(err, group);
      }
    });
  } finally {
    await client.close().catch(() => {});
  }
}

function groupError(err: unknown, group: string | undefined): unknown {
  if (!(err instanceof RivuletError) || group === undefined) return err;
  switch (err.code) {
    case 'NON_EMPTY_GROUP':
      return new CliError(`group '${group}' has active members: stop its consumers first`);
    case 'GROUP_ID_NOT_FOUND':
      return new CliError(`unknown group '${group}'`);
    default:
      return err;
  }
}

async function list(values: Values): Promise<number> {
  const { groups } = await withAdmin(values, undefined, undefined, (admin) => admin.listGroups());
  if (values.json) {
    process.stdout.write(`${JSON.stringify(groups.map((g) => ({ group: g.groupId, state: g.groupState })), null, 2)}\n`);
    return EXIT_OK;
  }
  if (groups.length > 0) process.stdout.write(table(['GROUP', 'STATE'], groups.map((g) => [g.groupId, g.groupState])));
  return EXIT_OK;
}

interface PartitionRow {
  topic: string;
  partition: number;
  member: string | null;
  committed: number | null;
  logEnd: number;
  lag: number;
}

async function describe(group: string, values: Values): Promise<number> {
  const d = await withAdmin(values, group, undefined, async (admin) => {
    const description = (await admin.describeGroups([group])).groups[0]!;
    const committed = await admin.fetchOffsets({ groupId: group });
    if (description.state === 'Dead' && committed.length === 0) throw new CliError(`unknown group '${group}'`);
    const owner = new Map<string, string>();
    const topics = new Set(committed.map((t) => t.topic));
    for (const m of description.members) {
      for (const a of m.assignment) {
        topics.add(a.topic);
        for (const p of a.partitions) owner.set(`${a.topic}/${p}`, m.memberId);
      }
    }
    const lags = await admin.fetchGroupLag({ groupId: group, topics: [...topics].sort() });
    const partitions: PartitionRow[] = lags.map((l) => ({
      topic: l.topic,
      partition: l.partition,
      member: owner.get(`${l.topic}/${l.partition}`) ?? null,
      committed: l.committedOffset < 0 ? null : l.committedOffset,
      logEnd: l.logEndOffset,
      lag: l.lag,
    }));
    return { description, partitions };
  });
  const g = d.description;
  if (values.json) {
    const out = {
      group: g.groupId,
      state: g.state,
      assignor: g.protocol,
      groupEpoch: g.groupEpoch,
      members: g.members.map((m) => ({
        memberId: m.memberId,
        instanceId: m.groupInstanceId,
        clientId: m.clientId,
        host: m.clientHost,
        epoch: m.memberEpoch,
        state: m.memberState,
        assignment: m.assignment,
      })),
      partitions: d.partitions,
    };
    process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
    return EXIT_OK;
  }
  let out = `Group: ${g.groupId}\nState: ${g.state}\n`;
  if (g.protocol !== '') out += `Assignor: ${g.protocol}\nEpoch: ${g.groupEpoch}\n`;
  out += `Members: ${g.members.length}\n`;
  if (g.members.length > 0) {
    out += table(
      ['MEMBER', 'INSTANCE', 'CLIENT', 'HOST', 'EPOCH', 'PARTITIONS'],
      g.members.map((m) => [
        m.memberId,
        m.groupInstanceId ?? '-',
        m.clientId || '-',
        m.clientHost || '-',
        m.memberEpoch,
        m.assignment.map((a) => `${a.topic}:${a.partitions.join(',')}`).join(' ') || '-',
      ]),
      '  ',
    );
  }
  out += 'Partitions:\n';
  out += table(
    ['TOPIC', 'PARTITION', 'MEMBER', 'COMMITTED', 'LOG-END', 'LAG'],
    d.partitions.map((p) => [p.topic, p.partition, p.member ?? '-', p.committed ?? '-', p.logEnd, p.lag]),
    '  ',
  );
  process.stdout.write(out);
  return EXIT_OK;
}

type Target = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'offset'; offset: number } | { kind: 'datetime'; ms: number };

function resetTarget(values: Values): Target {
  const given: Target[] = [];
  if (values['to-earliest']) given.push({ kind: 'earliest' });
  if (values['to-latest']) given.push({ kind: 'latest' });
  if (values['to-offset'] !== undefined) given.push({ kind: 'offset', offset: parseIntOption('to-offset', values['to-offset']) });
  if (values['to-datetime'] !== undefined) given.push({ kind: 'datetime', ms: parseTimestamp('to-datetime', values['to-datetime']) });
  if (given.length !== 1) {
    throw new UsageError("'groups reset-offsets' needs exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime");
  }
  return given[0]!;
}

async function resetOffsets(group: string, values: Values): Promise<number> {
  const topic = values.topic;
  if (topic === undefined || topic === '') throw new UsageError("'groups reset-offsets' needs --topic");
  const target = resetTarget(values);
  const offsets = await withAdmin(values, group, topic, async (admin) => {
    const bounds = await admin.fetchTopicOffsets(topic);
    let next: { partition: number; offset: number }[];
    switch (target.kind) {
      case 'earliest':
        next = bounds.map((b) => ({ partition: b.partition, offset: b.low }));
        break;
      case 'latest':
        next = bounds.map((b) => ({ partition: b.partition, offset: b.high }));
        break;
      case 'offset':
        next = bounds.map((b) => ({ partition: b.partition, offset: Math.min(Math.max(target.offset, b.low), b.high) }));
        break;
      case 'datetime':
        next = await admin.fetchTopicOffsetsByTimestamp(topic, target.ms);
        break;
    }
    await admin.setOffsets({ groupId: group, topic, partitions: next });
    return next.sort((a, b) => a.partition - b.partition);
  });
  process.stdout.write(`reset offsets of group '${group}' on topic '${topic}'\n`);
  process.stdout.write(table(['PARTITION', 'OFFSET'], offsets.map((o) => [o.partition, o.offset]), '  '));
  return EXIT_OK;
}

async function remove(group: string, values: Values): Promise<number> {
  await withAdmin(values, group, undefined, (admin) => admin.deleteGroups([group]));
  process.stdout.write(`deleted group '${group}'\n`);
  return EXIT_OK;
}
