/**
 * OffsetFetch (src/protocol/apis/offset-fetch.ts): a group's committed offsets, from the
 * coordinator's memory (replayed from `__consumer_offsets` at start). committedOffset -1 where
 * nothing was committed.
 */
import { OffsetFetch, type OffsetFetchRequest } from '../../../protocol/apis/offset-fetch.js';
import { type BrokerContext, defineHandler, type Reply } from '../../context.js';

function handleOffsetFetch(ctx: BrokerContext, req: OffsetFetchRequest, reply: Reply): void {
  reply.send(ctx.groups.fetchOffsets(req));
}

export const offsetFetchHandler = defineHandler(OffsetFetch, handleOffsetFetch);
