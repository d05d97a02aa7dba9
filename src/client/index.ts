/**
 * `rivulet/client`: the isomorphic SDK (Node and browsers). No native code, no Node modules
 * outside the dynamically loaded WebSocket transport.
 */
export { Rivulet } from './client.js';
export { Producer } from './producer.js';
export { Consumer } from './consumer.js';
export { Admin, ConfigResourceTypes, ResourceTypes } from './admin.js';
export type { ConnectionHooks, RequestInfo } from './connection.js';
export { nodeSocketFactory, type Socket, type SocketFactory, type SocketHandlers, standardSocketFactory } from './transport.js';
export { DEFAULT_RETRY, type RetryOptions } from './retry.js';
export { RivuletError, type RivuletErrorCode, LocalErrorCodes } from '../errors.js';
export { ErrorCodes } from '../protocol/error-codes.js';
export { type Codec, type CompressionType, registerCodec } from '../protocol/compression.js';
export type * from './types.js';
