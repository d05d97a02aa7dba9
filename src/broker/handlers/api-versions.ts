/** ApiVersions (src/protocol/apis/api-versions.ts): every api this broker serves, with its versions. */
import { ApiVersions } from '../../protocol/apis/api-versions.js';
import { type BrokerContext, defineHandler, type Reply } from '../context.js';

function handleApiVersions(ctx: BrokerContext, _req: unknown, reply: Reply): void {
  const apiKeys = [...ctx.handlers.values()]
    .map(({ api }) => ({ apiKey: api.key, name: api.name, minVersion: api.minVersion, maxVersion: api.maxVersion }))
    .sort((a, b) => a.apiKey - b.apiKey);
  reply.send({ apiKeys, brokerVersion: ctx.brokerVersion });
}

export const apiVersionsHandler = defineHandler(ApiVersions, handleApiVersions);
