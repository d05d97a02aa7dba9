/**
 * ListGroups (src/protocol/apis/list-groups.ts): every group with members or committed offsets,
 * optionally filtered by state.
 */
import { ListGroups, type ListGroupsRequest } from '../../../protocol/apis/list-groups.js';
import { type BrokerContext, defineHandler, type Reply } from '../../context.js';

function handleListGroups(ctx: BrokerContext, req: ListGroupsRequest, reply: Reply): void {
  reply.send(ctx.groups.listGroups(req));
}

export const listGroupsHandler = defineHandler(ListGroups, handleListGroups);
