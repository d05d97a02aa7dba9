/**
 * OffsetCommit (src/protocol/apis/offset-commit.ts). Answered once the commit is in
 * `__consumer_offsets` and, under `--flush ack`, on disk (offset-log.ts). Member fencing is the
 * coordinator's (`src/group/offsets.ts`): UNKNOWN_MEMBER_ID, FENCED_MEMBER_EPOCH and
 * FENCED_INSTANCE_ID fail the whole request; per partition, UNKNOWN_TOPIC_OR_PARTITION,
 * OFFSET_METADATA_TOO_LARGE, INVALID_REQUEST, STALE_MEMBER_EPOCH and KAFKA_STORAGE_ERROR.
 */
import { OffsetCommit, type OffsetCommitRequest } from '../../../protocol/apis/offset-commit.js';
import { type BrokerContext, defineHandler, type Reply } from '../../context.js';

async function handleOffsetCommit(ctx: BrokerContext, req: OffsetCommitRequest, reply: Reply): Promise<void> {
  reply.send(await ctx.groups.commitOffsets(req));
}

export const offsetCommitHandler = defineHandler(OffsetCommit, handleOffsetCommit);
