/**
 * Internal topics (names starting with `__`, e.g. `__consumer_offsets`) belong to the broker:
 * Metadata lists them with isInternal = true and clients may fetch from them, but a client request
 * may not produce to, create, auto-create, delete or grow one.
 *
 * The refusal is INVALID_TOPIC_EXCEPTION (17): it is what Kafka answers a produce to an internal
 * topic ("Cannot append to internal topic"), and Rivulet's closed list of codes has no
 * TOPIC_AUTHORIZATION_FAILED (29), which would anyway mean an ACL said no (there are no ACLs).
 * It is not retriable: retrying the same request can never succeed.
 */
import { RivuletError } from '../../errors.js';
import { isInternalTopic } from '../../log/topic-name.js';

export type InternalTopicAction = 'produce to' | 'create' | 'delete' | 'add partitions to';

/** Throws INVALID_TOPIC_EXCEPTION when `name` is an internal topic a client may not `action`. */
export function refuseInternalTopic(name: string, action: InternalTopicAction): void {
  if (!isInternalTopic(name)) return;
  throw new RivuletError(
    'INVALID_TOPIC_EXCEPTION',
    `cannot ${action} ${name}: topics named __* are the broker's own (written by the broker only)`,
  );
}
