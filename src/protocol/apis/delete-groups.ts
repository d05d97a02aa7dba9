/**
 * DeleteGroups (key 42), v0.
 * Request body: { groupsNames: string[] }
 * Response body: { throttleTimeMs, results: [{ groupId, errorCode, errorMessage }] }
 *   Deletes a group with no members and its committed offsets (tombstones in
 *   `__consumer_offsets`). Per group: NON_EMPTY_GROUP while it has members, GROUP_ID_NOT_FOUND
 *   when there is neither a group nor an offset by that id, INVALID_GROUP_ID for ''.
 */
import { defineApi } from '../api.js';
import { arr, int, nullable, obj, opt, str, type Infer } from '../schema.js';

const request = obj({ groupsNames: arr(str) });

const result = obj({ groupId: str, errorCode: int, errorMessage: opt(nullable(str), null) });

const response = obj({ throttleTimeMs: opt(int, 0), results: arr(result) });

export type DeleteGroupsRequest = Infer<typeof request>;
export type DeleteGroupsResponse = Infer<typeof response>;
export type DeleteGroupsResult = Infer<typeof result>;
export const DeleteGroups = defineApi({
  key: 42,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 0,
  request,
  response,
});
