#!/usr/bin/env node
/**
 * The `rivulet` command: dispatches to one subcommand module, loaded on demand so `rivulet --help`
 * starts instantly and client commands never load the storage addon. Every subcommand is a
 * `(argv) => Promise<exitCode>`; failures become one line on stderr (see report.ts).
 */
import { EXIT_OK, EXIT_USAGE } from './args.js';
import { reportError } from './report.js';

type Command = (argv: string[]) => Promise<number>;

const COMMANDS: Record<string, { summary: string; load: () => Promise<Command> }> = {
  broker: {
    summary: 'run a broker',
    load: async () => (await import('./broker-command.js')).brokerCommand,
  },
  topics: {
    summary: 'create, list, describe, alter and delete topics',
    load: async () => (await import('./topics-command.js')).topicsCommand,
  },
  produce: {
    summary: 'send one record per line of stdin',
    load: async () => (await import('./produce-command.js')).produceCommand,
  },
  consume: {
    summary: 'print records from a topic',
    load: async () => (await import('./consume-command.js')).consumeCommand,
  },
  offsets: {
    summary: "show a topic's low and high offsets, or the offset for a time",
    load: async () => (await import('./offsets-command.js')).offsetsCommand,
  },
  perf: { summary: 'measure produce or consume throughput and latency', load: async () => (await import('./perf-command.js')).perfCommand },
  groups: { summary: 'list, describe, reset the offsets of and delete consumer groups', load: async () => (await import('./groups-command.js')).groupsCommand },
  'dump-log': {
    summary: 'print and check the batches of a segment file',
    load: async () => (await import('./dump-log-command.js')).dumpLogCommand,
  },
};

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: rivulet <command> [options]

Commands:
${lines.join('\n')}

Run 'rivulet <command> --help' for a command's options.
Client commands connect to --brokers ws://host:port (default ws://127.0.0.1:9080, or $RIVULET_BROKERS).
`;
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && rest[0] !== undefined && rest[0] in COMMANDS) return main([rest[0], '--help']);
    if (name === undefined) {
      process.stderr.write(usage());
      return EXIT_USAGE;
    }
    process.stdout.write(usage());
    return EXIT_OK;
  }
  if (name === '--version' || name === '-V') {
    process.stdout.write(`${await version()}\n`);
    return EXIT_OK;
  }
  const entry = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (entry === undefined) {
    process.stderr.write(`error: unknown command '${name}'\nRun 'rivulet --help' for the list of commands.\n`);
    return EXIT_USAGE;
  }
  try {
    const command = await entry.load();
    return await command(rest);
  } catch (err) {
    return reportError(err, name);
  }
}

async function version(): Promise<string> {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../../../package.json', import.meta.url), 'utf8')) as {
    version: string;
  };
  return pkg.version;
}

/** Waits until everything written to a stream has been handed to the OS. */
function drained(stream: NodeJS.WriteStream): Promise<void> {
  return new Promise((resolve) => {
    if (stream.destroyed || !stream.writable) resolve();
    else stream.write('', () => resolve());
  });
}

const code = await main(process.argv.slice(2));
await Promise.all([drained(process.stdout), drained(process.stderr)]);
// Exit explicitly: a client that keeps a reconnect timer or socket alive must not hang the shell.
process.exit(code);
