/**
 * DeleteGroups (src/protocol/apis/delete-groups.ts): deletes groups without members and their
 * committed offsets (tombstones in `__consumer_offsets`, durable before the answer). Per group:
 * NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND, INVALID_GROUP_ID, KAFKA_STORAGE_ERROR.
 */
import { DeleteGroups, type DeleteGroupsRequest } from '../../../protocol/apis/delete-groups.js';
import { type BrokerContext, defineHandler, type Reply } from '../../context.js';

async function handleDeleteGroups(ctx: BrokerContext, req: DeleteGroupsRequest, reply: Reply): Promise<void> {
  reply.send(await ctx.groups.deleteGroups(req));
}

export const deleteGroupsHandler = defineHandler(DeleteGroups, handleDeleteGroups);
