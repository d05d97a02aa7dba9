/**
 * `LogManager`: the data directory. Owns every partition log, the topic metadata and the
 * background retention.
 *
 * Invariants:
 * - `topics.json` lists exactly the topics served; each topic `t` with `n` partitions has the
 *   directories `<dataDir>/t-0 … t-(n-1)`, all inside dataDir (names are checked, paths re-checked);
 * - metadata changes are persisted atomically before they are answered; a directory no topic
 *   claims is left alone at startup (with a warning) and only removed when a topic of that name
 *   is created again, so a lost or stale topics.json never deletes data by itself;
 * - deleted topics' directories are renamed `<dir>.<time>-delete` first and removed after; a
 *   leftover `-delete` directory is removed at startup;
 * - one LogManager (in any process) has the data directory at a time: `open` takes the exclusive
 *   lock on `<dataDir>/.lock` (dir-lock.ts) before reading or writing anything there, and `close`
 *   drops it after the last partition is closed. Listing the directory skips `.lock`.
 *
 * Append vs flush: as PartitionLog. `close()` syncs every partition before closing it, so a clean
 * shutdown leaves everything on disk.
 *
 * Recovery point (as Kafka's): each partition directory keeps its flushed offset in
 * `recovery-point`, saved every 60 s and at close; `close()` then writes `<dataDir>/.clean-shutdown`.
 * `open` deletes that marker; when it was missing (and the directory was not brand new) the
 * shutdown was unclean, and each partition recovers in full every segment ending above its
 * recovery point (recovery.ts). After a clean shutdown nothing is scanned in full: damage that
 * appears in the files later (bit rot) is only found by reads, as in Kafka.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from 'node:fs';
import {
  RECOVERY_POINT_INTERVAL_MS,
  RecoveryPoints,
  takeCleanShutdownMarker,
  writeCleanShutdownMarker,
} from './clean-shutdown.js';
import { join } from 'node:path';
import { RivuletError } from '../errors.js';
import {
  type ConfigDescription,
  type ConfigEntries,
  describeTopicConfig,
  parseConfigAlterations,
  parseTopicConfigs,
  resolveTopicConfig,
  type TopicConfig,
  validateTopicConfig,
} from './log-config.js';
import { PartitionLog, type PartitionLogOptions } from './partition-log.js';
import { readRecoveryPoint } from './recovery.js';
import { DEFAULT_RETENTION_CHECK_INTERVAL_MS, type RetentionResult, startRetentionTimer } from './retention.js';
import { DATA_DIR_LOCK_FILE, type DataDirLock, lockDataDir } from './dir-lock.js';
import { consoleLogger, type LogLogger } from './segments.js';
import { isInternalTopic, parsePartitionDirName, partitionDir, validateTopicName } from './topic-name.js';
import { readTopicMetadata, type TopicMetadata, writeTopicMetadata } from './topic-metadata.js';

/** Most partitions one topic may have. */
export const MAX_PARTITIONS_PER_TOPIC = 10_000;
const DELETE_SUFFIX = '-delete';

export interface LogManagerOptions {
  dataDir: string;
  /** Broker-wide defaults under each topic's overrides (STATIC_BROKER_CONFIG in DescribeConfigs). */
  defaults?: Partial<TopicConfig>;
  /** `log.retention.check.interval.ms` (default 5 minutes); 0 turns the background check off. */
  retentionCheckIntervalMs?: number;
  logger?: LogLogger;
  /** Wall clock for the partitions (default Date.now). */
  clock?: () => number;
}

export interface TopicLog {
  readonly name: string;
  readonly partitions: readonly PartitionLog[];
  /** The effective config. */
  readonly config: Readonly<TopicConfig>;
  /** Only the topic's own overrides. */
  readonly overrides: Readonly<Partial<TopicConfig>>;
  readonly internal: boolean;
}

export interface PartitionRetention extends RetentionResult {
  topic: string;
  partition: number;
}

interface TopicState {
  name: string;
  partitions: PartitionLog[];
  overrides: Partial<TopicConfig>;
  config: TopicConfig;
}

export class LogManager {
  readonly dataDir: string;
  readonly #defaults: Partial<TopicConfig>;
  readonly #logger: LogLogger;
  readonly #partitionOptions: PartitionLogOptions;
  readonly #topics = new Map<string, TopicState>();
  readonly #lock: DataDirLock;
  #stopRetention: (() => void) | null = null;
  #recoveryPointTimer: NodeJS.Timeout | null = null;
  readonly #recoveryPoints: RecoveryPoints;
  #closing: Promise<void> | null = null;

  private constructor(
    dataDir: string,
    lock: DataDirLock,
    defaults: Partial<TopicConfig>,
    logger: LogLogger,
    clock?: () => number,
  ) {
    this.dataDir = dataDir;
    this.#lock = lock;
    this.#defaults = defaults;
    this.#logger = logger;
    this.#recoveryPoints = new RecoveryPoints(logger);
    this.#partitionOptions = clock === undefined ? { logger } : { logger, clock };
  }

  /**
   * Creates the data directory if needed, locks it, reads the metadata, opens and recovers every
   * partition. KAFKA_STORAGE_ERROR with `details.storageCode` 'ELOCKED' when another process (or
   * another LogManager) has the directory.
   */
  static open(options: LogManagerOptions): LogManager {
    const logger = options.logger ?? consoleLogger;
    const defaults = validateTopicConfig(options.defaults ?? {});
    const brandNew = !existsSync(options.dataDir);
    mkdirSync(options.dataDir, { recursive: true });
    const lock = lockDataDir(options.dataDir);
    const manager = new LogManager(options.dataDir, lock, defaults, logger, options.clock);
    try {
      const clean = brandNew || takeCleanShutdownMarker(options.dataDir);
      if (!clean)
        logger.warn('unclean shutdown: recovering every segment above its recovery point', {
          dataDir: options.dataDir,
        });
      manager.#removeDeletedDirs();
      for (const meta of readTopicMetadata(options.dataDir)) {
        const config = resolveTopicConfig(meta.overrides, defaults);
        const state: TopicState = { name: meta.name, partitions: [], overrides: meta.overrides, config };
        manager.#topics.set(meta.name, state);
        for (let p = 0; p < meta.partitions; p++) {
          state.partitions.push(manager.#openPartition(meta.name, p, config, !clean));
        }
      }
      manager.#warnAboutOrphans();
    } catch (err) {
      const partitions = manager.#allPartitions();
      // The lock is dropped once the partitions opened so far are closed (at once when there are
      // none), so no one else opens them meanwhile.
      if (partitions.length === 0) lock.release();
      else void Promise.allSettled(partitions.map((p) => p.close())).finally(() => lock.release());
      throw err;
    }
    const interval = options.retentionCheckIntervalMs ?? DEFAULT_RETENTION_CHECK_INTERVAL_MS;
    if (interval > 0) manager.#stopRetention = startRetentionTimer(interval, () => manager.applyRetention());
    manager.#recoveryPointTimer = setInterval(
      () => manager.#recoveryPoints.save(manager.#allPartitions(), false),
      RECOVERY_POINT_INTERVAL_MS,
    );
    manager.#recoveryPointTimer.unref();
    return manager;
  }

  /** Creates a topic; TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_TOPIC_EXCEPTION, INVALID_CONFIG. */
  createTopic(name: string, numPartitions: number, configs: ConfigEntries = {}): TopicLog {
    this.#checkOpen();
    validateTopicName(name);
    if (this.#topics.has(name)) throw new RivuletError('TOPIC_ALREADY_EXISTS', `topic ${name} already exists`);
    const collision = [...this.#topics.keys()].find((t) => t.replaceAll('.', '_') === name.replaceAll('.', '_'));
    if (collision !== undefined) {
      throw new RivuletError(
        'INVALID_TOPIC_EXCEPTION',
        `topic ${name} collides with ${collision} ('.' and '_' mix up in metric names)`,
      );
    }
    checkPartitionCount(numPartitions, 1);
    const overrides = parseTopicConfigs(configs);
    const config = resolveTopicConfig(overrides, this.#defaults);
    const state: TopicState = { name, partitions: [], overrides, config };
    this.#addPartitions(state, numPartitions);
    this.#topics.set(name, state);
    this.#persistOrUndo(() => {
      this.#topics.delete(name);
      void this.#dropPartitions(state.partitions.splice(0));
    });
    return view(state);
  }

  /** Deletes a topic and all its data; UNKNOWN_TOPIC_OR_PARTITION if there is none. */
  async deleteTopic(name: string): Promise<void> {
    this.#checkOpen();
    const state = this.#get(name);
    this.#topics.delete(name);
    this.#persistOrUndo(() => this.#topics.set(name, state));
    await this.#dropPartitions(state.partitions);
  }

  /** Grows a topic to `newTotalCount` partitions; INVALID_PARTITIONS unless that is more than now. */
  createPartitions(name: string, newTotalCount: number): TopicLog {
    this.#checkOpen();
    const state = this.#get(name);
    checkPartitionCount(newTotalCount, state.partitions.length + 1);
    const before = state.partitions.length;
    this.#addPartitions(state, newTotalCount - before);
    this.#persistOrUndo(() => void this.#dropPartitions(state.partitions.splice(before)));
    return view(state);
  }

  /** Incremental AlterConfigs: a string sets the key, null returns it to its default. */
  alterTopicConfig(name: string, entries: ConfigEntries): ConfigDescription[] {
    this.#checkOpen();
    const state = this.#get(name);
    const { set, reset } = parseConfigAlterations(entries);
    const previous = { overrides: state.overrides, config: state.config };
    const overrides: Partial<TopicConfig> = { ...state.overrides, ...set };
    for (const key of reset) delete overrides[key];
    state.overrides = overrides;
    state.config = resolveTopicConfig(overrides, this.#defaults);
    this.#persistOrUndo(() => Object.assign(state, previous));
    for (const p of state.partitions) p.updateConfig(state.config);
    return describeTopicConfig(state.overrides, this.#defaults);
  }

  describeTopicConfig(name: string): ConfigDescription[] {
    const state = this.#get(name);
    return describeTopicConfig(state.overrides, this.#defaults);
  }

  topic(name: string): TopicLog | undefined {
    const state = this.#topics.get(name);
    return state === undefined ? undefined : view(state);
  }

  /** Every topic, sorted by name. */
  topics(): TopicLog[] {
    return [...this.#topics.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map(view);
  }

  partition(name: string, index: number): PartitionLog | undefined {
    return this.#topics.get(name)?.partitions[index];
  }

  /** Segments open across all partitions. */
  get openSegmentCount(): number {
    let n = 0;
    for (const t of this.#topics.values()) for (const p of t.partitions) n += p.segmentCount;
    return n;
  }

  /** Runs retention on every partition now (the background timer calls this too). */
  applyRetention(now?: number): PartitionRetention[] {
    if (this.#closing !== null) return [];
    const results: PartitionRetention[] = [];
    for (const t of this.#topics.values()) {
      t.partitions.forEach((p, partition) => {
        try {
          const r = p.applyRetention(now);
          if (r.deleted.length > 0) {
            results.push({ topic: t.name, partition, ...r });
            this.#logger.info('retention deleted segments', { topic: t.name, partition, deleted: r.deleted.length });
          }
        } catch (err) {
          this.#logger.warn('retention failed', { topic: t.name, partition, error: (err as Error).message });
        }
      });
    }
    return results;
  }

  /** Syncs every partition (group commit per partition). */
  async syncAll(): Promise<void> {
    const all: Promise<void>[] = [];
    for (const t of this.#topics.values()) for (const p of t.partitions) all.push(p.sync());
    await Promise.all(all);
  }

  /**
   * Stops retention, syncs every partition, saves its recovery point, closes it, writes the
   * clean-shutdown marker (only when all of that succeeded), then unlocks the data directory.
   * Idempotent.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#stopRetention?.();
      if (this.#recoveryPointTimer !== null) clearInterval(this.#recoveryPointTimer);
      const partitions = this.#allPartitions();
      const synced = await Promise.allSettled(partitions.map((p) => p.sync()));
      let clean = true;
      synced.forEach((r, i) => {
        if (r.status === 'rejected') {
          clean = false;
          this.#logger.warn('sync at close failed', { dir: partitions[i]!.dir, error: String(r.reason) });
        }
      });
      if (!this.#recoveryPoints.save(partitions, true)) clean = false;
      try {
        await Promise.all(partitions.map((p) => p.close()));
        if (clean) writeCleanShutdownMarker(this.dataDir, this.#logger);
      } finally {
        this.#lock.release();
      }
    })();
    return this.#closing;
  }

  #openPartition(topic: string, partition: number, config: TopicConfig, unclean = false): PartitionLog {
    const dir = partitionDir(this.dataDir, topic, partition);
    const options = unclean
      ? { ...this.#partitionOptions, recoveryPoint: readRecoveryPoint(dir) }
      : this.#partitionOptions;
    return PartitionLog.open(dir, config, options);
  }

  #allPartitions(): PartitionLog[] {
    return [...this.#topics.values()].flatMap((t) => t.partitions);
  }

  /** Opens `count` new partitions after the existing ones; leftovers of an older topic are removed first. */
  #addPartitions(state: TopicState, count: number): void {
    const before = state.partitions.length;
    try {
      for (let p = before; p < before + count; p++) {
        const dir = partitionDir(this.dataDir, state.name, p);
        if (existsSync(dir)) {
          this.#logger.warn('removing the leftover directory of an earlier topic of the same name', { dir });
          this.#moveAside(dir);
        }
        state.partitions.push(this.#openPartition(state.name, p, state.config));
      }
    } catch (err) {
      void this.#dropPartitions(state.partitions.splice(before));
      throw err;
    }
  }

  /** Closes the partitions, renames their directories aside and deletes them; never rejects. */
  async #dropPartitions(partitions: PartitionLog[]): Promise<void> {
    await Promise.all(
      partitions.map((p) =>
        p
          .close()
          .then(() => this.#moveAside(p.dir))
          .catch((err: unknown) =>
            this.#logger.warn('could not delete a partition', { dir: p.dir, error: String(err) }),
          ),
      ),
    );
  }

  #moveAside(dir: string): void {
    const aside = `${dir}.${Date.now()}${DELETE_SUFFIX}`;
    renameSync(dir, aside);
    rmSync(aside, { recursive: true, force: true });
  }

  #persistOrUndo(undo: () => void): void {
    try {
      writeTopicMetadata(this.dataDir, [...this.#topics.values()].map(metaOf));
    } catch (err) {
      undo();
      throw new RivuletError('KAFKA_STORAGE_ERROR', `could not write the topic metadata: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }

  #removeDeletedDirs(): void {
    for (const name of readdirSync(this.dataDir)) {
      if (name.endsWith(DELETE_SUFFIX)) rmSync(join(this.dataDir, name), { recursive: true, force: true });
    }
  }

  #warnAboutOrphans(): void {
    for (const name of readdirSync(this.dataDir)) {
      if (name === DATA_DIR_LOCK_FILE) continue;
      const parsed = parsePartitionDirName(name);
      if (parsed === null || !statSync(join(this.dataDir, name)).isDirectory()) continue;
      const t = this.#topics.get(parsed.topic);
      if (t === undefined || parsed.partition >= t.partitions.length) {
        this.#logger.warn('a partition directory belongs to no topic; left alone', { dir: join(this.dataDir, name) });
      }
    }
  }

  #get(name: string): TopicState {
    const state = this.#topics.get(name);
    if (state === undefined) throw new RivuletError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${name} does not exist`);
    return state;
  }

  #checkOpen(): void {
    if (this.#closing !== null) throw new RivuletError('BROKER_SHUTTING_DOWN', 'the log manager is closed');
  }
}

function checkPartitionCount(n: number, min: number): void {
  if (!Number.isSafeInteger(n) || n < min || n > MAX_PARTITIONS_PER_TOPIC) {
    throw new RivuletError(
      'INVALID_PARTITIONS',
      `partition count must be an integer in [${min}, ${MAX_PARTITIONS_PER_TOPIC}], got ${n}`,
    );
  }
}

function metaOf(t: TopicState): TopicMetadata {
  return { name: t.name, partitions: t.partitions.length, overrides: t.overrides };
}

function view(t: TopicState): TopicLog {
  return {
    name: t.name,
    partitions: t.partitions.slice(),
    config: t.config,
    overrides: t.overrides,
    internal: isInternalTopic(t.name),
  };
}
