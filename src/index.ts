/**
 * `rivulet`: the embeddable broker and what its users need with it. The SDK is `rivulet/client`.
 */
export { Broker, type BrokerOptions, CLOSE_GRACE_MS } from './broker/broker.js';
export {
  BROKER_SETTINGS,
  type BrokerConfig,
  DEFAULT_BROKER_CONFIG,
  type FlushPolicy,
  type ParsedBrokerArgs,
  parseBrokerArgs,
  parseFlushPolicy,
} from './broker/config.js';
export { brokerHelp } from './broker/config-help.js';
export {
  type LocalErrorCode,
  LocalErrorCodes,
  RivuletError,
  type RivuletErrorCode,
  type RivuletErrorOptions,
} from './errors.js';
export type { TopicConfig } from './log/log-config.js';
export { ErrorCodes, type ErrorName, type ErrorNumber, errorName, isRetriable } from './protocol/error-codes.js';
