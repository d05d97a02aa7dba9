/**
 * Metadata (src/protocol/apis/metadata.ts). One broker: it leads every partition (node 0).
 * `topics: null` lists every topic; a named topic that does not exist is created when the
 * request allows it and the broker's auto-create-topics is on, else UNKNOWN_TOPIC_OR_PARTITION.
 * Internal topics (`__*`) are listed with isInternal = true and never auto-created: the broker
 * makes `__consumer_offsets` itself on the first offset commit.
 */
import { RivuletError } from '../../errors.js';
import type { TopicLog } from '../../log/log-manager.js';
import { isInternalTopic, topicNameProblem } from '../../log/topic-name.js';
import { Metadata, type MetadataRequest, type MetadataResponse } from '../../protocol/apis/metadata.js';
import { ErrorCodes } from '../../protocol/error-codes.js';
import { type BrokerContext, defineHandler, type Reply, wireError } from '../context.js';
import { topicsChanged } from '../group/topic-changes.js';

/** This broker's node id (one broker until src/cluster). */
export const NODE_ID = 0;

type TopicMetadata = MetadataResponse['topics'][number];

function describe(topic: TopicLog): TopicMetadata {
  return {
    name: topic.name,
    errorCode: ErrorCodes.NONE,
    errorMessage: null,
    isInternal: topic.internal,
    partitions: topic.partitions.map((_, index) => ({
      index,
      errorCode: ErrorCodes.NONE,
      leaderId: NODE_ID,
      leaderEpoch: 0,
      replicaNodes: [NODE_ID],
      isrNodes: [NODE_ID],
    })),
  };
}

function lookup(ctx: BrokerContext, name: string, autoCreate: boolean): TopicMetadata {
  try {
    const existing = ctx.logs.topic(name);
    if (existing !== undefined) return describe(existing);
    const problem = topicNameProblem(name);
    if (problem !== null) throw new RivuletError('INVALID_TOPIC_EXCEPTION', `invalid topic name: ${problem}`);
    if (!autoCreate || isInternalTopic(name)) {
      throw new RivuletError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`);
    }
    const created = ctx.logs.createTopic(name, ctx.config.numPartitions);
    topicsChanged(ctx);
    return describe(created);
  } catch (err) {
    const w = wireError(err);
    return { name, errorCode: w.code, errorMessage: w.message, isInternal: false, partitions: [] };
  }
}

function handleMetadata(ctx: BrokerContext, req: MetadataRequest, reply: Reply): void {
  const autoCreate = req.allowAutoTopicCreation && ctx.config.autoCreateTopics;
  const topics =
    req.topics === null ? ctx.logs.topics().map(describe) : req.topics.map((name) => lookup(ctx, name, autoCreate));
  reply.send({
    clusterId: ctx.clusterId,
    controllerId: NODE_ID,
    brokers: [{ nodeId: NODE_ID, host: ctx.advertised.host, port: ctx.advertised.port }],
    topics,
  } satisfies MetadataResponse);
}

export const metadataHandler = defineHandler(Metadata, handleMetadata);
