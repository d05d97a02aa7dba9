/**
 * CreatePartitions (src/protocol/apis/create-partitions.ts): grows a topic to `count` partitions.
 * Internal topics (`__*`) cannot be grown (INVALID_TOPIC_EXCEPTION). Groups learn of it at once.
 */
import { RivuletError } from '../../errors.js';
import { MAX_PARTITIONS_PER_TOPIC } from '../../log/log-manager.js';
import { CreatePartitions, type CreatePartitionsRequest } from '../../protocol/apis/create-partitions.js';
import { ErrorCodes } from '../../protocol/error-codes.js';
import { type BrokerContext, defineHandler, type Reply, wireError } from '../context.js';
import { refuseInternalTopic } from '../group/internal-topics.js';
import { topicsChanged } from '../group/topic-changes.js';

function growOne(ctx: BrokerContext, name: string, count: number, validateOnly: boolean): void {
  refuseInternalTopic(name, 'add partitions to');
  if (!validateOnly) {
    ctx.logs.createPartitions(name, count);
    return;
  }
  const topic = ctx.logs.topic(name);
  if (topic === undefined) throw new RivuletError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`);
  if (count <= topic.partitions.length || count > MAX_PARTITIONS_PER_TOPIC) {
    throw new RivuletError(
      'INVALID_PARTITIONS',
      `partition count must be in [${topic.partitions.length + 1}, ${MAX_PARTITIONS_PER_TOPIC}], got ${count}`,
    );
  }
}

function handleCreatePartitions(ctx: BrokerContext, req: CreatePartitionsRequest, reply: Reply): void {
  const results = req.topics.map((t) => {
    try {
      growOne(ctx, t.name, t.count, req.validateOnly);
      return { name: t.name, errorCode: ErrorCodes.NONE, errorMessage: null };
    } catch (err) {
      const w = wireError(err);
      return { name: t.name, errorCode: w.code, errorMessage: w.message };
    }
  });
  if (results.some((r) => r.errorCode === ErrorCodes.NONE) && !req.validateOnly) topicsChanged(ctx);
  reply.send({ results });
}

export const createPartitionsHandler = defineHandler(CreatePartitions, handleCreatePartitions);
