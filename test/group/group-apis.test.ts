/** The group apis' body schemas, through real frames, and the coordinator's answers fit them. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { GroupCoordinator } from '../../src/group/coordinator.js';
import { ApiKeys } from '../../src/protocol/api.js';
import { decodeRequest, decodeResponse, encodeRequest, encodeResponse } from '../../src/protocol/frame.js';
import {
  ConsumerGroupDescribe,
  ConsumerGroupHeartbeat,
  DeleteGroups,
  DescribeGroups,
  GROUP_APIS,
  ListGroups,
  OffsetCommit,
  OffsetFetch,
} from '../../src/protocol/apis/group-apis.js';
import { ManualScheduler, MemoryOffsetLog } from './helpers.js';

describe('group api schemas', () => {
  test("keys match Kafka's and every api is registered once", () => {
    assert.deepEqual(
      GROUP_APIS.map((a) => [a.name, a.key]),
      [
        ['OffsetCommit', ApiKeys.OffsetCommit],
        ['OffsetFetch', ApiKeys.OffsetFetch],
        ['DescribeGroups', ApiKeys.DescribeGroups],
        ['ListGroups', ApiKeys.ListGroups],
        ['DeleteGroups', ApiKeys.DeleteGroups],
        ['ConsumerGroupHeartbeat', ApiKeys.ConsumerGroupHeartbeat],
        ['ConsumerGroupDescribe', ApiKeys.ConsumerGroupDescribe],
      ],
    );
  });

  test('a minimal heartbeat request gets its defaults; a bad one names the path', () => {
    const frame = encodeRequest(68, 0, 7, { groupId: 'g', memberEpoch: 0, subscribedTopicNames: ['t'] });
    const req = ConsumerGroupHeartbeat.request.check(decodeRequest(frame).body, '');
    assert.deepEqual(req, {
      groupId: 'g',
      memberId: '',
      memberEpoch: 0,
      instanceId: null,
      rebalanceTimeoutMs: -1,
      subscribedTopicNames: ['t'],
      subscribedTopicRegex: null,
      serverAssignor: null,
      topicPartitions: null,
    });
    assert.throws(
      () =>
        ConsumerGroupHeartbeat.request.check(
          { groupId: 'g', memberEpoch: 1, topicPartitions: [{ name: 't', partitions: [0, 'x'] }] },
          '',
        ),
      { code: 'INVALID_REQUEST', path: 'topicPartitions/0/partitions/1' },
    );
  });

  test("the coordinator's answers pass their response schemas after a trip through a frame", async () => {
    const coord = new GroupCoordinator({
      offsetLog: new MemoryOffsetLog(),
      scheduler: new ManualScheduler(),
      topics: { t: 2 },
    });
    const viaWire = <T>(schema: { check(v: unknown, p: string): T }, body: unknown): T =>
      schema.check(decodeResponse(encodeResponse(1, 0, body)).body, '');
    const hb = coord.heartbeat(
      ConsumerGroupHeartbeat.request.check({ groupId: 'g', memberEpoch: 0, subscribedTopicNames: ['t'] }, ''),
    );
    assert.deepEqual(viaWire(ConsumerGroupHeartbeat.response, hb), hb);
    const commit = await coord.commitOffsets(
      OffsetCommit.request.check(
        {
          groupId: 'g',
          memberId: hb.memberId,
          memberEpoch: hb.memberEpoch,
          topics: [{ name: 't', partitions: [{ index: 0, committedOffset: 3 }] }],
        },
        '',
      ),
    );
    assert.deepEqual(viaWire(OffsetCommit.response, commit), commit);
    const fetched = coord.fetchOffsets(OffsetFetch.request.check({ groupId: 'g' }, ''));
    assert.deepEqual(viaWire(OffsetFetch.response, fetched), fetched);
    const described = coord.consumerGroupDescribe(ConsumerGroupDescribe.request.check({ groupIds: ['g', 'x'] }, ''));
    assert.deepEqual(viaWire(ConsumerGroupDescribe.response, described), described);
    const classic = coord.describeGroups(DescribeGroups.request.check({ groups: ['g'] }, ''));
    assert.deepEqual(viaWire(DescribeGroups.response, classic), classic);
    const listed = coord.listGroups(ListGroups.request.check({}, ''));
    assert.deepEqual(viaWire(ListGroups.response, listed), listed);
    const deleted = await coord.deleteGroups(DeleteGroups.request.check({ groupsNames: ['g'] }, ''));
    assert.deepEqual(viaWire(DeleteGroups.response, deleted), deleted);
    coord.close();
  });
});
