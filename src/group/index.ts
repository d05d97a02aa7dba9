/** Consumer groups: coordinator, membership, assignors, committed offsets. */
export * from './assignment.js';
export * from './assignors/index.js';
export { type ClientInfo, GroupCoordinator, type GroupCoordinatorOptions } from './coordinator.js';
export { ConsumerGroup, GROUP_STATE_NAMES, type GroupState } from './group.js';
export { lag } from './lag.js';
export {
  GroupMember,
  JOIN_EPOCH,
  LEAVE_EPOCH,
  MEMBER_STATE_NAMES,
  type MemberState,
  reconcile,
  STATIC_LEAVE_EPOCH,
} from './member.js';
export * from './offset-record.js';
export * from './offset-store.js';
export { STALE_COMMIT_ERROR } from './offsets.js';
export { type Scheduler, systemScheduler } from './scheduler.js';
export { compileSubscriptionRegex, isInternalTopic, resolveSubscription } from './subscription.js';
