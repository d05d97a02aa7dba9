/**
 * InitProducerId (key 22), v0.
 * Request body: { transactionalId: null, transactionTimeoutMs, producerId, producerEpoch }
 *   producerId -1 asks for a new id; an existing id with its epoch asks for a bumped epoch.
 * Response body: { producerId, producerEpoch }
 */
import { defineApi } from '../api.js';
import { int, nullable, obj, opt, str, type Infer } from '../schema.js';

const request = obj({
  transactionalId: opt(nullable(str), null),
  transactionTimeoutMs: opt(int, 60_000),
  producerId: opt(int, -1),
  producerEpoch: opt(int, -1),
});
const response = obj({ producerId: int, producerEpoch: int });

export type InitProducerIdRequest = Infer<typeof request>;
export type InitProducerIdResponse = Infer<typeof response>;
export const InitProducerId = defineApi({ key: 22, name: 'InitProducerId', minVersion: 0, maxVersion: 0, request, response });
