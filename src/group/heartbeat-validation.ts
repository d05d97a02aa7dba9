/** The checks a ConsumerGroupHeartbeat passes before it touches any group. */
import { RivuletError } from '../errors.js';
import type { ConsumerGroupHeartbeatRequest } from '../protocol/apis/consumer-group-heartbeat.js';
import { getAssignor } from './assignors/index.js';
import { JOIN_EPOCH, STATIC_LEAVE_EPOCH } from './member.js';
import { compileSubscriptionRegex } from './subscription.js';

function invalid(path: string, message: string): never {
  throw new RivuletError('INVALID_REQUEST', `${path}: ${message}`, { path });
}

/** Throws INVALID_GROUP_ID, INVALID_REQUEST or UNSUPPORTED_ASSIGNOR. */
export function validateHeartbeat(req: ConsumerGroupHeartbeatRequest): void {
  if (req.groupId === '') throw new RivuletError('INVALID_GROUP_ID', 'groupId must not be empty', { path: 'groupId' });
  if (req.memberEpoch < STATIC_LEAVE_EPOCH) invalid('memberEpoch', `${req.memberEpoch} is not 0, -1, -2 or an epoch`);
  if (req.memberEpoch !== JOIN_EPOCH && req.memberId === '') invalid('memberId', 'required unless joining');
  if (req.rebalanceTimeoutMs !== -1 && req.rebalanceTimeoutMs <= 0) invalid('rebalanceTimeoutMs', 'must be -1 or > 0');
  if (req.memberEpoch === JOIN_EPOCH && req.subscribedTopicNames === null && req.subscribedTopicRegex === null) {
    invalid('subscribedTopicNames', 'a join needs subscribedTopicNames or subscribedTopicRegex');
  }
  if (req.serverAssignor !== null && getAssignor(req.serverAssignor) === undefined) {
    throw new RivuletError(
      'UNSUPPORTED_ASSIGNOR',
      `assignor '${req.serverAssignor}' is not one of sticky, range, roundrobin`,
      { path: 'serverAssignor' },
    );
  }
  if (req.subscribedTopicRegex !== null && req.subscribedTopicRegex !== '') {
    compileSubscriptionRegex(req.subscribedTopicRegex);
  }
}
