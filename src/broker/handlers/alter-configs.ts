/**
 * AlterConfigs (src/protocol/apis/alter-configs.ts), incremental: each named topic config is set
 * (or reset to its default with a null value), the others are kept. Applies to the topic's
 * partitions at once (retention on its next check, segment sizes from the next roll). Broker
 * settings are fixed at start and refused.
 */
import { RivuletError } from '../../errors.js';
import { parseConfigAlterations } from '../../log/log-config.js';
import { AlterConfigs, type AlterConfigsRequest } from '../../protocol/apis/alter-configs.js';
import { ResourceTypes } from '../../protocol/apis/common.js';
import { ErrorCodes } from '../../protocol/error-codes.js';
import { type BrokerContext, defineHandler, type Reply, wireError } from '../context.js';

function alterOne(ctx: BrokerContext, r: AlterConfigsRequest['resources'][number], validateOnly: boolean): void {
  if (r.resourceType === ResourceTypes.BROKER) {
    throw new RivuletError(
      'INVALID_CONFIG',
      'broker settings are fixed at start: change the flag, variable or config file and restart',
    );
  }
  if (r.resourceType !== ResourceTypes.TOPIC) {
    throw new RivuletError('INVALID_REQUEST', `resource type ${r.resourceType} cannot be altered (2 = topic)`);
  }
  if (!validateOnly) {
    ctx.logs.alterTopicConfig(r.resourceName, r.configs);
    return;
  }
  if (ctx.logs.topic(r.resourceName) === undefined) {
    throw new RivuletError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${r.resourceName} does not exist`);
  }
  parseConfigAlterations(r.configs);
}

function handleAlterConfigs(ctx: BrokerContext, req: AlterConfigsRequest, reply: Reply): void {
  const responses = req.resources.map((r) => {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    try {
      alterOne(ctx, r, req.validateOnly);
      return { ...base, errorCode: ErrorCodes.NONE, errorMessage: null };
    } catch (err) {
      const w = wireError(err);
      return { ...base, errorCode: w.code, errorMessage: w.message };
    }
  });
  reply.send({ responses });
}

export const alterConfigsHandler = defineHandler(AlterConfigs, handleAlterConfigs);
