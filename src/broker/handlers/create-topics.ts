/**
 * CreateTopics (src/protocol/apis/create-topics.ts). One result per topic: numPartitions -1 takes
 * the broker's num-partitions; a replication factor above 1 cannot be met by one broker.
 * validateOnly checks name, partition count and configs without creating anything. Names starting
 * with `__` are the broker's own (INVALID_TOPIC_EXCEPTION). Groups learn of new topics at once.
 */
import { RivuletError } from '../../errors.js';
import { parseTopicConfigs } from '../../log/log-config.js';
import { MAX_PARTITIONS_PER_TOPIC } from '../../log/log-manager.js';
import { validateTopicName } from '../../log/topic-name.js';
import { CreateTopics, type CreateTopicsRequest } from '../../protocol/apis/create-topics.js';
import { ErrorCodes } from '../../protocol/error-codes.js';
import { type BrokerContext, defineHandler, type Reply, wireError } from '../context.js';
import { refuseInternalTopic } from '../group/internal-topics.js';
import { topicsChanged } from '../group/topic-changes.js';

const DEFAULT_SENTINEL = -1;

function createOne(ctx: BrokerContext, t: CreateTopicsRequest['topics'][number], validateOnly: boolean): number {
  const numPartitions = t.numPartitions === DEFAULT_SENTINEL ? ctx.config.numPartitions : t.numPartitions;
  refuseInternalTopic(t.name, 'create');
  if (t.replicationFactor !== DEFAULT_SENTINEL && t.replicationFactor !== 1) {
    throw new RivuletError(
      'INVALID_REPLICATION_FACTOR',
      `replication factor ${t.replicationFactor}: this cluster has one broker`,
    );
  }
  if (!validateOnly) return ctx.logs.createTopic(t.name, numPartitions, t.configs).partitions.length;
  validateTopicName(t.name);
  if (ctx.logs.topic(t.name) !== undefined)
    throw new RivuletError('TOPIC_ALREADY_EXISTS', `topic ${t.name} already exists`);
  if (!Number.isSafeInteger(numPartitions) || numPartitions < 1 || numPartitions > MAX_PARTITIONS_PER_TOPIC) {
    throw new RivuletError(
      'INVALID_PARTITIONS',
      `partition count must be in [1, ${MAX_PARTITIONS_PER_TOPIC}], got ${numPartitions}`,
    );
  }
  parseTopicConfigs(t.configs);
  return numPartitions;
}

function handleCreateTopics(ctx: BrokerContext, req: CreateTopicsRequest, reply: Reply): void {
  const topics = req.topics.map((t) => {
    try {
      const numPartitions = createOne(ctx, t, req.validateOnly);
      return { name: t.name, errorCode: ErrorCodes.NONE, errorMessage: null, numPartitions };
    } catch (err) {
      const w = wireError(err);
      return { name: t.name, errorCode: w.code, errorMessage: w.message, numPartitions: -1 };
    }
  });
  if (topics.some((t) => t.errorCode === ErrorCodes.NONE) && !req.validateOnly) topicsChanged(ctx);
  reply.send({ topics });
}

export const createTopicsHandler = defineHandler(CreateTopics, handleCreateTopics);
