/**
 * DeleteTopics (key 20), v0.
 * Request body: { topicNames: string[], timeoutMs }
 * Response body: { responses: [{ name, errorCode, errorMessage }] }
 */
import { defineApi } from '../api.js';
import { arr, int, nullable, obj, opt, str, type Infer } from '../schema.js';

const request = obj({ topicNames: arr(str), timeoutMs: opt(int, 30_000) });
const response = obj({ responses: arr(obj({ name: str, errorCode: int, errorMessage: opt(nullable(str), null) })) });

export type DeleteTopicsRequest = Infer<typeof request>;
export type DeleteTopicsResponse = Infer<typeof response>;
export const DeleteTopics = defineApi({ key: 20, name: 'DeleteTopics', minVersion: 0, maxVersion: 0, request, response });
