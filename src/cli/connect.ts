/**
 * The one place the CLI builds an SDK client: broker list and client id from the command line,
 * short connection deadlines (a person is waiting), and every SDK error rephrased with the broker
 * and topic it concerns.
 */
import { Rivulet } from '../client/index.js';
import { resolveBrokers } from './args.js';
import { type ErrorContext, explainClientError } from './report.js';

/** A person is waiting: fail fast instead of retrying for the SDK's default 30 s. */
const CONNECTION_TIMEOUT_MS = 5_000;
const REQUEST_TIMEOUT_MS = 30_000;
const CLI_RETRY = { retries: 2, initialRetryTimeMs: 100, maxRetryTimeMs: 1_000 };

export const CLIENT_HELP = `  -b, --brokers URLS   broker addresses, comma-separated (default ws://127.0.0.1:9080, or $RIVULET_BROKERS)
      --client-id ID   client id the broker logs (default rivulet-cli)`;

export interface CliClient {
  client: Rivulet;
  ctx: ErrorContext;
  /** When the broker last answered a request (ms since the epoch); the client's creation until then. */
  lastAnswerAt(): number;
}

export function openClient(values: { brokers?: string | undefined; 'client-id'?: string | undefined }): CliClient {
  const brokers = resolveBrokers(values.brokers);
  let lastAnswer = Date.now();
  const client = new Rivulet({
    brokers,
    clientId: values['client-id'] ?? 'rivulet-cli',
    connectionTimeoutMs: CONNECTION_TIMEOUT_MS,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    retry: CLI_RETRY,
    hooks: {
      onResponse: () => {
        lastAnswer = Date.now();
        return undefined;
      },
    },
  });
  return { client, ctx: { brokers }, lastAnswerAt: () => lastAnswer };
}

/** Runs `fn`, turning any SDK error into a CliError that names what it concerns. */
export async function explained<T>(ctx: ErrorContext, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw explainClientError(err, ctx);
  }
}
