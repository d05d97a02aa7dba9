/**
 * `rivulet topics create|list|describe|alter|delete`: topic administration through the SDK's
 * admin client. Output is plain text for people (`--json` on describe for scripts); `list` prints
 * one name per line so it pipes well.
 */
import { ConfigResourceTypes } from '../client/index.js';
import { RivuletError } from '../errors.js';
import {
  CLIENT_OPTIONS,
  CliError,
  EXIT_OK,
  expectPositionals,
  type Parsed,
  parseSubcommand,
  parseIntOption,
  parseKeyValues,
  UsageError,
} from './args.js';
import { CLIENT_HELP, explained, openClient } from './connect.js';
import { table } from './table.js';

/** Kafka's cap on partitions per topic request is far higher; this only guards typos. */
const MAX_PARTITIONS = 100_000;

const HELP = `Usage: rivulet topics <subcommand> [options]

Subcommands:
  create <name> [--partitions N] [--config k=v ...]
                     create a topic (partitions and configs default to the broker's)
  list               print every topic name, one per line
  describe <name> [--json]
                     partitions with their low and high offsets, and the topic's configs
  alter <name> [--config k=v ...] [--delete-config k ...] [--partitions N]
                     set configs, restore configs to their default, or grow to N partitions
  delete <name>      delete a topic and its data

Options:
  -p, --partitions N   number of partitions (create), new total (alter)
  -c, --config k=v     a topic config such as retention.ms=86400000 (repeatable)
      --delete-config k  restore a config to its default (alter; repeatable)
      --json           machine-readable output (describe)
${CLIENT_HELP}
  -h, --help           show this help

Exit codes: 0 ok, 1 failure (broker unreachable, unknown topic, rejected config), 2 usage error.
`;

const OPTIONS = {
  ...CLIENT_OPTIONS,
  partitions: { type: 'string', short: 'p' },
  config: { type: 'string', short: 'c', multiple: true },
  'delete-config': { type: 'string', multiple: true },
  json: { type: 'boolean' },
} as const;

type Values = Parsed<typeof OPTIONS>['values'];

const SUBCOMMANDS = ['create', 'list', 'describe', 'alter', 'delete'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** Which options each subcommand accepts besides the client ones. */
const ALLOWED: Record<Subcommand, Array<keyof typeof OPTIONS>> = {
  create: ['partitions', 'config'],
  list: [],
  describe: ['json'],
  alter: ['partitions', 'config', 'delete-config'],
  delete: [],
};

export async function topicsCommand(argv: string[]): Promise<number> {
  const parsed = parseSubcommand(argv, {
    command: 'topics',
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
  const [topic] = expectPositionals(positionals, ['name']) as [string];
  switch (subcommand) {
    case 'create':
      return create(topic, values);
    case 'describe':
      return describe(topic, values);
    case 'alter':
      return alter(topic, values);
    case 'delete':
      return remove(topic, values);
  }
}

async function create(topic: string, values: Values): Promise<number> {
  const numPartitions =
    values.partitions === undefined ? undefined : parseIntOption('partitions', values.partitions, 1, MAX_PARTITIONS);
  const configEntries = parseKeyValues('config', values.config).map(([name, value]) => ({ name, value }));
  const { client, ctx } = openClient(values);
  const admin = client.admin();
  try {
    const created = await explained({ ...ctx, topic }, () =>
      admin.createTopics({ topics: [{ topic, numPartitions, configEntries }] }),
    );
    if (!created) throw new CliError(`topic '${topic}' already exists`);
  } finally {
    await client.close().catch(() => {});
  }
  const count = numPartitions === undefined ? '' : ` with ${numPartitions} partition${numPartitions === 1 ? '' : 's'}`;
  process.stdout.write(`created topic '${topic}'${count}\n`);
  return EXIT_OK;
}

async function list(values: Values): Promise<number> {
  const { client, ctx } = openClient(values);
  try {
    const names = await explained(ctx, () => client.admin().listTopics());
    const sorted = [...names].sort();
    process.stdout.write(sorted.length === 0 ? '' : `${sorted.join('\n')}\n`);
  } finally {
    await client.close().catch(() => {});
  }
  return EXIT_OK;
}

interface TopicDescription {
  topic: string;
  partitions: Array<{ partition: number; low: number; high: number }>;
  configs: Array<{ name: string; value: string | null; source: string }>;
}

async function describe(topic: string, values: Values): Promise<number> {
  const { client, ctx } = openClient(values);
  const admin = client.admin();
  let description: TopicDescription;
  try {
    description = await explained({ ...ctx, topic }, async () => {
      const [meta, offsets, configs] = await Promise.all([
        admin.fetchTopicMetadata({ topics: [topic] }),
        admin.fetchTopicOffsets(topic),
        admin.describeConfigs({
          resources: [{ type: ConfigResourceTypes.TOPIC, name: topic }],
          includeSynonyms: false,
        }),
      ]);
      const partitionIds = (meta.topics[0]?.partitions ?? []).map((p) => p.partitionId).sort((a, b) => a - b);
      const byPartition = new Map(offsets.map((o) => [o.partition, o]));
      const resource = configs.resources[0];
      if (resource !== undefined && resource.errorCode !== 0) {
        throw RivuletError.fromWire(resource.errorCode, resource.errorMessage ?? undefined);
      }
      return {
        topic,
        partitions: partitionIds.map((partition) => ({
          partition,
          low: byPartition.get(partition)?.low ?? 0,
          high: byPartition.get(partition)?.high ?? 0,
        })),
        configs: (resource?.configEntries ?? [])
          .map((e) => ({ name: e.configName, value: e.configValue, source: sourceName(e.configSource, e.isDefault) }))
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
      };
    });
  } finally {
    await client.close().catch(() => {});
  }
  if (values.json) {
    process.stdout.write(`${JSON.stringify(description, null, 2)}\n`);
    return EXIT_OK;
  }
  let out = `Topic: ${description.topic}\nPartitions: ${description.partitions.length}\n`;
  out += table(
    ['PARTITION', 'LOW', 'HIGH'],
    description.partitions.map((p) => [p.partition, p.low, p.high]),
    '  ',
  );
  out += 'Configs:\n';
  out += table(
    ['NAME', 'VALUE', 'SOURCE'],
    description.configs.map((c) => [c.name, c.value ?? '', c.source]),
    '  ',
  );
  process.stdout.write(out);
  return EXIT_OK;
}

function sourceName(source: string, isDefault: boolean): string {
  switch (source) {
    case 'TOPIC_CONFIG':
    case 'DYNAMIC_TOPIC_CONFIG':
      return 'topic';
    case 'BROKER_CONFIG':
    case 'STATIC_BROKER_CONFIG':
    case 'DYNAMIC_BROKER_CONFIG':
    case 'DYNAMIC_DEFAULT_BROKER_CONFIG':
      return 'broker';
    case 'DEFAULT_CONFIG':
      return 'default';
    default:
      return isDefault ? 'default' : source.toLowerCase();
  }
}

async function alter(topic: string, values: Values): Promise<number> {
  const set = parseKeyValues('config', values.config).map(([name, value]) => ({ name, value: value as string | null }));
  const reset = (values['delete-config'] ?? []).map((name) => {
    if (name === '' || name.includes('=')) throw new UsageError(`--delete-config expects a config name, got '${name}'`);
    return { name, value: null };
  });
  const count =
    values.partitions === undefined ? undefined : parseIntOption('partitions', values.partitions, 1, MAX_PARTITIONS);
  if (set.length === 0 && reset.length === 0 && count === undefined) {
    throw new UsageError("'topics alter' needs --config, --delete-config or --partitions");
  }
  const { client, ctx } = openClient(values);
  const admin = client.admin();
  const done: string[] = [];
  try {
    await explained({ ...ctx, topic }, async () => {
      if (set.length > 0 || reset.length > 0) {
        await admin.alterConfigs({
          resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [...set, ...reset] }],
        });
        done.push(`${set.length + reset.length} config${set.length + reset.length === 1 ? '' : 's'}`);
      }
      if (count !== undefined) {
        await admin.createPartitions({ topicPartitions: [{ topic, count }] });
        done.push(`partitions to ${count}`);
      }
    });
  } finally {
    await client.close().catch(() => {});
  }
  process.stdout.write(`altered topic '${topic}': ${done.join(', ')}\n`);
  return EXIT_OK;
}

async function remove(topic: string, values: Values): Promise<number> {
  const { client, ctx } = openClient(values);
  try {
    await explained({ ...ctx, topic }, () => client.admin().deleteTopics({ topics: [topic] }));
  } finally {
    await client.close().catch(() => {});
  }
  process.stdout.write(`deleted topic '${topic}'\n`);
  return EXIT_OK;
}
