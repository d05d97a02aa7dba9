/**
 * ConsumerGroupDescribe (src/protocol/apis/consumer-group-describe.ts): every member, its
 * subscription, assignment and target. An unknown group gets GROUP_ID_NOT_FOUND in its own entry.
 */
import {
  ConsumerGroupDescribe,
  type ConsumerGroupDescribeRequest,
} from '../../../protocol/apis/consumer-group-describe.js';
import { type BrokerContext, defineHandler, type Reply } from '../../context.js';

function handleConsumerGroupDescribe(ctx: BrokerContext, req: ConsumerGroupDescribeRequest, reply: Reply): void {
  reply.send(ctx.groups.consumerGroupDescribe(req));
}

export const consumerGroupDescribeHandler = defineHandler(ConsumerGroupDescribe, handleConsumerGroupDescribe);
