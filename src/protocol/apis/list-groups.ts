/**
 * ListGroups (key 16), v0.
 * Request body: { statesFilter: string[] }   (empty = every state; Kafka's state names, any case)
 * Response body: { throttleTimeMs, groups: [{ groupId, groupState, groupType }] }
 *   groupState: 'Empty' | 'Assigning' | 'Reconciling' | 'Stable'; groupType: always 'consumer'.
 *   A group with committed offsets and no members is listed as 'Empty'.
 */
import { defineApi } from '../api.js';
import { arr, obj, opt, str, int, type Infer } from '../schema.js';

const request = obj({ statesFilter: opt(arr(str), []) });

const response = obj({
  throttleTimeMs: opt(int, 0),
  groups: arr(obj({ groupId: str, groupState: str, groupType: opt(str, 'consumer') })),
});

export type ListGroupsRequest = Infer<typeof request>;
export type ListGroupsResponse = Infer<typeof response>;
export const ListGroups = defineApi({ key: 16, name: 'ListGroups', minVersion: 0, maxVersion: 0, request, response });
