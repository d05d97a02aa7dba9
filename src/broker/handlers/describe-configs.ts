/**
 * DescribeConfigs (src/protocol/apis/describe-configs.ts). Topics (resource type 2): every topic
 * config with its value and source (DYNAMIC_TOPIC_CONFIG, STATIC_BROKER_CONFIG, DEFAULT_CONFIG).
 * The broker (type 4, any name): its settings, read-only (they are fixed at start).
 */
import { RivuletError } from '../../errors.js';
import { ResourceTypes } from '../../protocol/apis/common.js';
import {
  DescribeConfigs,
  type DescribeConfigsRequest,
  type DescribeConfigsResponse,
} from '../../protocol/apis/describe-configs.js';
import { ErrorCodes } from '../../protocol/error-codes.js';
import { BROKER_SETTINGS, type BrokerConfig } from '../config.js';
import { type BrokerContext, defineHandler, type Reply, wireError } from '../context.js';

type Described = DescribeConfigsResponse['results'][number]['configs'][number];

function brokerConfigs(config: BrokerConfig): Described[] {
  return BROKER_SETTINGS.map((s) => {
    const value = config[s.key];
    return {
      name: s.name,
      value: value === null ? null : String(value),
      readOnly: true,
      isDefault: value === s.default,
      source: value === s.default ? 'DEFAULT_CONFIG' : 'STATIC_BROKER_CONFIG',
      isSensitive: false,
    };
  });
}

function describeOne(ctx: BrokerContext, type: number, name: string): Described[] {
  if (type === ResourceTypes.BROKER) return brokerConfigs(ctx.config);
  if (type !== ResourceTypes.TOPIC) {
    throw new RivuletError('INVALID_REQUEST', `resource type ${type} is not described (2 = topic, 4 = broker)`);
  }
  return ctx.logs.describeTopicConfig(name).map((c) => ({
    name: c.name,
    value: c.value,
    readOnly: false,
    isDefault: c.isDefault,
    source: c.source,
    isSensitive: false,
  }));
}

function handleDescribeConfigs(ctx: BrokerContext, req: DescribeConfigsRequest, reply: Reply): void {
  const results = req.resources.map((r) => {
    const base = { resourceType: r.resourceType, resourceName: r.resourceName };
    try {
      let configs = describeOne(ctx, r.resourceType, r.resourceName);
      const keys = r.configurationKeys;
      if (keys !== null) configs = configs.filter((c) => keys.includes(c.name));
      return { ...base, errorCode: ErrorCodes.NONE, errorMessage: null, configs };
    } catch (err) {
      const w = wireError(err);
      return { ...base, errorCode: w.code, errorMessage: w.message, configs: [] };
    }
  });
  reply.send({ results });
}

export const describeConfigsHandler = defineHandler(DescribeConfigs, handleDescribeConfigs);
