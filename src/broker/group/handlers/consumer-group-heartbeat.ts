/**
 * ConsumerGroupHeartbeat (src/protocol/apis/consumer-group-heartbeat.ts): join, stay, leave;
 * the answer carries the member's epoch and the partitions it may own. Whole-request errors
 * (UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH, FENCED_INSTANCE_ID, UNRELEASED_INSTANCE_ID,
 * UNSUPPORTED_ASSIGNOR, INVALID_REQUEST, INVALID_GROUP_ID) are the coordinator's RivuletErrors,
 * answered as the top-level error code.
 */
import {
  ConsumerGroupHeartbeat,
  type ConsumerGroupHeartbeatRequest,
} from '../../../protocol/apis/consumer-group-heartbeat.js';
import type { Connection } from '../../connection.js';
import { type BrokerContext, defineHandler, type Reply } from '../../context.js';
import { clientInfo } from './client-info.js';

function handleHeartbeat(
  ctx: BrokerContext,
  req: ConsumerGroupHeartbeatRequest,
  reply: Reply,
  _payload: Uint8Array,
  conn: Connection,
): void {
  reply.send(ctx.groups.heartbeat(req, clientInfo(conn)));
}

export const consumerGroupHeartbeatHandler = defineHandler(ConsumerGroupHeartbeat, handleHeartbeat);
