/**
 * `rivulet broker` (and `npm start`): parses the settings (flag > RIVULET_* > --config file >
 * default, see src/broker/config.ts), starts the broker, prints one line once it listens, and on
 * SIGTERM or SIGINT shuts down gracefully: stop accepting, finish in-flight requests, sync, close.
 * A second signal during shutdown exits at once.
 *
 * Exit codes: 0 after a clean shutdown, 1 when the broker cannot start or fails to close, 2 for a
 * bad command line.
 */
import { setFlagsFromString } from 'node:v8';
import { Broker } from '../broker/broker.js';
import { parseBrokerArgs } from '../broker/config.js';
import { brokerHelp } from '../broker/config-help.js';
import { RivuletError } from '../errors.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE } from './args.js';

const SIGNAL_EXIT_BASE = 128;
const SIGNALS = { SIGINT: 2, SIGTERM: 15 } as const;

/**
 * V8 grows its young generation (up to 2 × 16 MiB on 64-bit) whenever allocation is heavy, and
 * keeps it: under a consumer's load the broker's RSS then climbed 28 → 41 MiB in 5 minutes with
 * 7–17 MiB of heap in use. The broker's garbage is short-lived (per-request objects; record bytes
 * live outside the heap), so the young generation stays at its initial size: measured, the same
 * produce and consume throughput, and RssAnon flat at 24 MiB (BENCHMARKS.md, "Broker memory").
 * The command owns its process, so it may set this; an embedding application decides for itself.
 */
const YOUNG_GENERATION_FLAG = '--semi-space-growth-factor=1';

export async function brokerCommand(argv: string[]): Promise<number> {
  setFlagsFromString(YOUNG_GENERATION_FLAG);
  let parsed: ReturnType<typeof parseBrokerArgs>;
  try {
    parsed = parseBrokerArgs(argv, process.env);
  } catch (err) {
    if (err instanceof RivuletError && err.code === 'INVALID_ARGUMENT') {
      process.stderr.write(`error: ${err.message}\nRun 'rivulet broker --help' for usage.\n`);
      return EXIT_USAGE;
    }
    throw err;
  }
  if (parsed.help) {
    process.stdout.write(brokerHelp());
    return EXIT_OK;
  }
  const { config } = parsed;

  let broker: Broker;
  try {
    broker = await Broker.start(config);
  } catch (err) {
    process.stderr.write(`error: cannot start the broker: ${(err as Error).message}\n`);
    return EXIT_FAILURE;
  }
  process.stdout.write(`rivulet broker listening on ${broker.url} (data: ${config.dataDir})\n`);

  const signal = await new Promise<keyof typeof SIGNALS>((resolve) => {
    for (const name of Object.keys(SIGNALS) as Array<keyof typeof SIGNALS>) process.once(name, () => resolve(name));
  });
  process.stdout.write(`rivulet broker: ${signal}, shutting down (send it again to exit at once)\n`);
  const again = () => process.exit(SIGNAL_EXIT_BASE + SIGNALS[signal]);
  process.once('SIGINT', again);
  process.once('SIGTERM', again);
  try {
    await broker.close();
  } catch (err) {
    process.stderr.write(`error: shutdown failed: ${(err as Error).message}\n`);
    return EXIT_FAILURE;
  }
  process.stdout.write('rivulet broker: stopped\n');
  return EXIT_OK;
}
