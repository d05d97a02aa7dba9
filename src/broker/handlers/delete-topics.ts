/**
 * DeleteTopics (src/protocol/apis/delete-topics.ts). A deleted topic's waiting fetches are woken
 * (they answer UNKNOWN_TOPIC_OR_PARTITION), its producer state and metrics are dropped; the files go
 * once the log has closed its partitions (zero-copy views already sent stay valid). Internal topics
 * (`__*`) cannot be deleted (INVALID_TOPIC_EXCEPTION). Groups learn of the deletion at once.
 */
import { DeleteTopics, type DeleteTopicsRequest } from '../../protocol/apis/delete-topics.js';
import { ErrorCodes } from '../../protocol/error-codes.js';
import { type BrokerContext, defineHandler, type Reply, wireError } from '../context.js';
import { refuseInternalTopic } from '../group/internal-topics.js';
import { topicsChanged } from '../group/topic-changes.js';

async function deleteOne(ctx: BrokerContext, name: string): Promise<void> {
  refuseInternalTopic(name, 'delete');
  const topic = ctx.logs.topic(name);
  const deleting = ctx.logs.deleteTopic(name);
  topicsChanged(ctx);
  for (const log of topic?.partitions ?? []) {
    ctx.retiredSyncs += log.syncCount;
    ctx.retiredFlushes.add(log.flushTimes);
    ctx.producers.forget(log);
  }
  ctx.metrics.forgetTopic(name);
  // The topic is gone from the manager already: woken fetches see it missing.
  for (const log of topic?.partitions ?? []) ctx.fetchWaiters.partitionGone(log);
  await deleting;
}

async function handleDeleteTopics(ctx: BrokerContext, req: DeleteTopicsRequest, reply: Reply): Promise<void> {
  const responses = await Promise.all(
    req.topicNames.map(async (name) => {
      try {
        await deleteOne(ctx, name);
        return { name, errorCode: ErrorCodes.NONE, errorMessage: null };
      } catch (err) {
        const w = wireError(err);
        return { name, errorCode: w.code, errorMessage: w.message };
      }
    }),
  );
  reply.send({ responses });
}

export const deleteTopicsHandler = defineHandler(DeleteTopics, handleDeleteTopics);
