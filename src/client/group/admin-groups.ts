/**
 * The admin client's consumer-group operations (KafkaJS's names: listGroups, describeGroups,
 * deleteGroups, fetchOffsets, setOffsets, resetOffsets) and a lag report per partition. Offsets
 * are numbers. Setting offsets is a commit from outside the group (empty member id, epoch -1),
 * which the broker accepts only while the group has no members: with members it is refused as
 * NON_EMPTY_GROUP.
 */
import { RivuletError } from '../../errors.js';
import { ConsumerGroupDescribe } from '../../protocol/apis/consumer-group-describe.js';
import { DeleteGroups } from '../../protocol/apis/delete-groups.js';
import { ListGroups } from '../../protocol/apis/list-groups.js';
import { OffsetCommit } from '../../protocol/apis/offset-commit.js';
import { OffsetFetch } from '../../protocol/apis/offset-fetch.js';
import type { Cluster } from '../cluster.js';
import type {
  FetchOffsetsResult,
  GroupDescription,
  GroupOverview,
  PartitionLag,
  PartitionOffset,
  PartitionOffsets,
} from '../types.js';

/** What the group operations need of the Admin (its offsets of a topic). */
export interface TopicOffsetsSource {
  fetchTopicOffsets(topic: string): Promise<PartitionOffsets[]>;
}

function invalid(message: string, path?: string): RivuletError {
  return new RivuletError('INVALID_ARGUMENT', message, { path });
}

function checkGroupId(groupId: unknown, path = 'groupId'): string {
  if (typeof groupId !== 'string' || groupId.length === 0) throw invalid(`${path} must be a non-empty string`, path);
  return groupId;
}

function groupIdList(groupIds: unknown): string[] {
  if (!Array.isArray(groupIds)) throw invalid('expected an array of group ids');
  return groupIds.map((g, i) => checkGroupId(g, `groupIds/${i}`));
}

export class GroupAdmin {
  constructor(
    private readonly cluster: Cluster,
    private readonly topics: TopicOffsetsSource,
  ) {}

  async listGroups(): Promise<{ groups: GroupOverview[] }> {
    const res = await this.cluster.requestAny(ListGroups, { statesFilter: [] });
    return {
      groups: res.body.groups
        .map((g) => ({ groupId: g.groupId, protocolType: g.groupType, groupState: g.groupState }))
        .sort((a, b) => (a.groupId < b.groupId ? -1 : a.groupId > b.groupId ? 1 : 0)),
    };
  }

  /** State, assignor and members with what they own and will own. Unknown groups are 'Dead'. */
  async describeGroups(groupIds: string[]): Promise<{ groups: GroupDescription[] }> {
    const ids = groupIdList(groupIds);
    const res = await this.cluster.requestAny(ConsumerGroupDescribe, { groupIds: ids });
    const tps = (list: { name: string; partitions: number[] }[]) =>
      list
        .map((t) => ({ topic: t.name, partitions: [...t.partitions].sort((a, b) => a - b) }))
        .sort((a, b) => (a.topic < b.topic ? -1 : 1));
    return {
      groups: res.body.groups.map((g, i) => {
        if (g.errorCode !== 0) {
          const err = RivuletError.fromWire(g.errorCode, g.errorMessage ?? undefined, `groups/${i}`);
          if (err.code !== 'GROUP_ID_NOT_FOUND') throw err;
          return {
            groupId: g.groupId,
            state: 'Dead',
            protocolType: 'consumer',
            protocol: '',
            groupEpoch: -1,
            assignmentEpoch: -1,
            errorCode: g.errorCode,
            members: [],
          };
        }
        return {
          groupId: g.groupId,
          state: g.groupState,
          protocolType: 'consumer',
          protocol: g.assignorName,
          groupEpoch: g.groupEpoch,
          assignmentEpoch: g.assignmentEpoch,
          errorCode: 0,
          members: g.members.map((m) => ({
            memberId: m.memberId,
            groupInstanceId: m.instanceId,
            clientId: m.clientId,
            clientHost: m.clientHost,
            memberEpoch: m.memberEpoch,
            memberState: m.memberState,
            subscribedTopicNames: m.subscribedTopicNames,
            subscribedTopicRegex: m.subscribedTopicRegex,
            assignment: tps(m.assignment.topicPartitions),
            targetAssignment: tps(m.targetAssignment.topicPartitions),
          })),
        };
      }),
    };
  }

  /** Deletes groups without members, and their offsets. Throws the first group's error, with its path. */
  async deleteGroups(groupIds: string[]): Promise<{ groupId: string; errorCode: number }[]> {
    const ids = groupIdList(groupIds);
    const res = await this.cluster.requestAny(DeleteGroups, { groupsNames: ids });
    res.body.results.forEach((r, i) => {
      if (r.errorCode !== 0) throw RivuletError.fromWire(r.errorCode, r.errorMessage ?? undefined, `groupIds/${i}`);
    });
    return res.body.results.map((r) => ({ groupId: r.groupId, errorCode: r.errorCode }));
  }

  /**
   * The group's committed offsets: of every partition of `topics` (-1 where nothing was
   * committed), or, without `topics`, of every partition it committed.
   */
  async fetchOffsets(opts: { groupId: string; topics?: string[] }): Promise<FetchOffsetsResult[]> {
    const groupId = checkGroupId(opts?.groupId);
    let topics: { name: string; partitionIndexes: number[] }[] | null = null;
    if (opts.topics !== undefined) {
      if (!Array.isArray(opts.topics)) throw invalid('topics must be an array of topic names');
      topics = await Promise.all(
        opts.topics.map(async (name) => {
          const meta = await this.cluster.topic(name);
          return { name, partitionIndexes: meta.partitions.map((p) => p.partition) };
        }),
      );
    }
    const res = await this.cluster.requestAny(OffsetFetch, { groupId, memberId: '', memberEpoch: -1, topics });
    return res.body.topics
      .map((t) => ({
        topic: t.name,
        partitions: t.partitions
          .map((p) => {
            if (p.errorCode !== 0) throw RivuletError.fromWire(p.errorCode, p.errorMessage ?? undefined, `${t.name}/${p.index}`);
            return { partition: p.index, offset: p.committedOffset, metadata: p.committedOffset < 0 ? null : p.metadata };
          })
          .sort((a, b) => a.partition - b.partition),
      }))
      .sort((a, b) => (a.topic < b.topic ? -1 : 1));
  }

  /** Commits offsets for a group with no active members (NON_EMPTY_GROUP otherwise). */
  async setOffsets(opts: { groupId: string; topic: string; partitions: PartitionOffset[] }): Promise<void> {
    const groupId = checkGroupId(opts?.groupId);
    if (typeof opts.topic !== 'string' || opts.topic.length === 0) throw invalid('topic must be a name', 'topic');
    if (!Array.isArray(opts.partitions)) throw invalid('partitions must be [{ partition, offset }]', 'partitions');
    const partitions = opts.partitions.map((p, i) => {
      if (!Number.isSafeInteger(p?.partition) || p.partition < 0) throw invalid(`partitions/${i}/partition must be ≥ 0`, `partitions/${i}`);
      const offset = Number(p.offset);
      if (!Number.isSafeInteger(offset) || offset < 0) throw invalid(`partitions/${i}/offset must be an offset ≥ 0`, `partitions/${i}`);
      return { index: p.partition, committedOffset: offset, committedMetadata: null };
    });
    if (partitions.length === 0) return;
    const res = await this.cluster
      .requestAny(OffsetCommit, {
        groupId,
        memberId: '',
        memberEpoch: -1,
        groupInstanceId: null,
        topics: [{ name: opts.topic, partitions }],
      })
      .catch((err: unknown) => {
        if (err instanceof RivuletError && err.code === 'UNKNOWN_MEMBER_ID') {
          throw new RivuletError(
            'NON_EMPTY_GROUP',
            `group '${groupId}' has active members: stop its consumers before setting its offsets`,
            { cause: err },
          );
        }
        throw err;
      });
    for (const t of res.body.topics) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) throw RivuletError.fromWire(p.errorCode, p.errorMessage ?? undefined, `${t.name}/${p.index}`);
      }
    }
  }

  /** Moves a group's offsets of `topic` to the log start (earliest) or the log end. */
  async resetOffsets(opts: { groupId: string; topic: string; earliest?: boolean }): Promise<void> {
    const offsets = await this.topics.fetchTopicOffsets(opts?.topic);
    await this.setOffsets({
      groupId: opts.groupId,
      topic: opts.topic,
      partitions: offsets.map((o) => ({ partition: o.partition, offset: opts.earliest ? o.low : o.high })),
    });
  }

  /**
   * Per partition of `topics` (default: every topic the group committed for): committed offset,
   * log start, log end (high watermark) and lag = end − max(committed, log start).
   */
  async fetchGroupLag(opts: { groupId: string; topics?: string[] }): Promise<PartitionLag[]> {
    const committed = await this.fetchOffsets(opts);
    const out: PartitionLag[] = [];
    for (const t of committed) {
      let ends: PartitionOffsets[];
      try {
        ends = await this.topics.fetchTopicOffsets(t.topic);
      } catch (err) {
        if (err instanceof RivuletError && err.code === 'UNKNOWN_TOPIC_OR_PARTITION') continue; // topic deleted
        throw err;
      }
      for (const p of t.partitions) {
        const e = ends.find((x) => x.partition === p.partition);
        if (e === undefined) continue;
        const from = Math.max(p.offset < 0 ? e.low : p.offset, e.low);
        out.push({
          topic: t.topic,
          partition: p.partition,
          committedOffset: p.offset,
          logStartOffset: e.low,
          logEndOffset: e.high,
          lag: Math.max(0, e.high - from),
        });
      }
    }
    return out;
  }
}
