/**
 * The broker's handlers, one per api, by api key: the core apis here, the consumer-group apis in
 * `../group/handlers/` (always served). `extra` handlers (Broker.start's `extraHandlers`) add more.
 */
import type { HandlerEntry } from '../context.js';
import { GROUP_HANDLERS } from '../group/handlers/index.js';
import { alterConfigsHandler } from './alter-configs.js';
import { apiVersionsHandler } from './api-versions.js';
import { createPartitionsHandler } from './create-partitions.js';
import { createTopicsHandler } from './create-topics.js';
import { deleteTopicsHandler } from './delete-topics.js';
import { describeConfigsHandler } from './describe-configs.js';
import { fetchHandler } from './fetch.js';
import { initProducerIdHandler } from './init-producer-id.js';
import { listOffsetsHandler } from './list-offsets.js';
import { metadataHandler } from './metadata.js';
import { produceHandler } from './produce.js';

export const CORE_HANDLERS: readonly HandlerEntry[] = [
  produceHandler,
  fetchHandler,
  listOffsetsHandler,
  metadataHandler,
  apiVersionsHandler,
  createTopicsHandler,
  deleteTopicsHandler,
  initProducerIdHandler,
  describeConfigsHandler,
  alterConfigsHandler,
  createPartitionsHandler,
];

/** Handlers by api key; `extra` are added after, and may not replace a core or group one. */
export function handlerTable(extra: readonly HandlerEntry[] = []): Map<number, HandlerEntry> {
  const table = new Map<number, HandlerEntry>();
  for (const h of [...CORE_HANDLERS, ...GROUP_HANDLERS, ...extra]) {
    if (table.has(h.api.key)) throw new Error(`two handlers for api key ${h.api.key} (${h.api.name})`);
    table.set(h.api.key, h);
  }
  return table;
}
