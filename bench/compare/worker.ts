/**
 * One phase of one peer, in a fresh process: `node worker.js <peer> <produce|consume> <port>
 * <records> <recordSize>`. Prints the PhaseResult as one JSON line on stdout.
 */
import type { PhaseResult, Workload } from './types.js';

async function run(peer: string, phase: string, w: Workload): Promise<PhaseResult> {
  switch (`${peer}/${phase}`) {
    case 'redis/produce':
      return (await import('./redis.js')).produceRedis(w);
    case 'redis/consume':
      return (await import('./redis.js')).consumeRedis(w);
    case 'nats/produce':
      return (await import('./nats.js')).produceNats(w);
    case 'nats/consume':
      return (await import('./nats.js')).consumeNats(w);
    case 'rivulet-all/produce':
      return (await import('./rivulet.js')).produceRivulet(w, 'all');
    case 'rivulet-1/produce':
      return (await import('./rivulet.js')).produceRivulet(w, 1);
    case 'rivulet-all/consume':
    case 'rivulet-1/consume':
      return (await import('./rivulet.js')).consumeRivulet(w);
    default:
      throw new Error(`unknown peer/phase '${peer}/${phase}'`);
  }
}

const [peer = '', phase = '', port = '', records = '', recordSize = ''] = process.argv.slice(2);
try {
  const result = await run(peer, phase, {
    port: Number(port),
    records: Number(records),
    recordSize: Number(recordSize),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exitCode = 0;
} catch (err) {
  process.stderr.write(`${peer} ${phase}: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
}
// Clients that keep timers or sockets alive must not hold the phase open.
setImmediate(() => process.exit());
