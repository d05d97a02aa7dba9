import type { BrokerOptions } from '../../src/broker/broker.js';

/**
 * What test brokers run with: any free port, 1 MiB segments (a test preallocates 1 MiB per
 * partition, not the default 1 GiB), no retention pass during a test; `options` override them.
 */
export function testBrokerOptions(options: Partial<BrokerOptions>, dataDir: string): BrokerOptions {
  return { port: 0, segmentBytes: 1 << 20, retentionCheckIntervalMs: 3_600_000, ...options, dataDir };
}
