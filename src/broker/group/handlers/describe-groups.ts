/**
 * DescribeGroups (src/protocol/apis/describe-groups.ts): the short description of each group; a
 * group the broker does not know is 'Dead' with no members.
 */
import { DescribeGroups, type DescribeGroupsRequest } from '../../../protocol/apis/describe-groups.js';
import { type BrokerContext, defineHandler, type Reply } from '../../context.js';

function handleDescribeGroups(ctx: BrokerContext, req: DescribeGroupsRequest, reply: Reply): void {
  reply.send(ctx.groups.describeGroups(req));
}

export const describeGroupsHandler = defineHandler(DescribeGroups, handleDescribeGroups);
