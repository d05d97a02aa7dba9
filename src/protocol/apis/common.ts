/** Shapes shared by several apis. */
import { RivuletError } from '../../errors.js';
import type { Schema } from '../schema.js';

/** Free-form facts attached to an error (a plain map, checked only for being one). */
export const anyMap: Schema<Record<string, unknown>> = {
  kind: 'map',
  check(v, path) {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) {
      throw new RivuletError('INVALID_REQUEST', `${path}: expected a map`, { path });
    }
    return v as Record<string, unknown>;
  },
};

/** ListOffsets' special timestamps, as in Kafka. */
export const LATEST_TIMESTAMP = -1;
export const EARLIEST_TIMESTAMP = -2;

/** DescribeConfigs / AlterConfigs resource types, as in Kafka. */
export const ResourceTypes = { TOPIC: 2, BROKER: 4, GROUP: 32 } as const;
