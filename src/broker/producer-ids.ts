/**
 * `<dataDir>/broker.json`: the broker's own small persistent facts, replaced atomically
 * (tmp + fsync + rename + fsync of the directory):
 *
 *   { "version": 1, "clusterId": "<uuid>", "nextProducerIdBlock": 2000 }
 *
 * Producer ids are handed out in blocks: before the first id of a block is given, the start of
 * the next block is persisted. A restart continues from the persisted block start, so an id is never
 * given twice even after a crash (a crash only skips the unused rest of a block). InitProducerId is
 * rare, so the synchronous fsync costs little.
 */
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { RivuletError } from '../errors.js';
import { readFileIfExists, writeFileAtomicSync } from '../log/atomic-file.js';

export const BROKER_META_FILE = 'broker.json';
/** Producer ids reserved per write of broker.json. */
export const PRODUCER_ID_BLOCK = 1000;
const VERSION = 1;

interface MetaDoc {
  version: number;
  clusterId: string;
  nextProducerIdBlock: number;
}

export class ProducerIdAllocator {
  readonly clusterId: string;
  readonly #path: string;
  /** Next id to give. */
  #next: number;
  /** First id not covered by the persisted reservation. */
  #reservedUntil: number;

  private constructor(path: string, clusterId: string, nextBlock: number) {
    this.#path = path;
    this.clusterId = clusterId;
    this.#next = nextBlock;
    this.#reservedUntil = nextBlock;
  }

  /** Reads (or creates) broker.json in `dataDir`. */
  static open(dataDir: string): ProducerIdAllocator {
    const path = join(dataDir, BROKER_META_FILE);
    const text = readFileIfExists(path);
    if (text === null) {
      const alloc = new ProducerIdAllocator(path, randomUUID(), 0);
      alloc.#persist(0);
      return alloc;
    }
    let doc: Partial<MetaDoc>;
    try {
      doc = JSON.parse(text) as Partial<MetaDoc>;
    } catch (cause) {
      throw new RivuletError('KAFKA_STORAGE_ERROR', `${path} is not valid JSON`, { cause });
    }
    if (
      doc.version !== VERSION ||
      typeof doc.clusterId !== 'string' ||
      !Number.isSafeInteger(doc.nextProducerIdBlock)
    ) {
      throw new RivuletError('KAFKA_STORAGE_ERROR', `${path}: unexpected content (version ${String(doc.version)})`);
    }
    return new ProducerIdAllocator(path, doc.clusterId, doc.nextProducerIdBlock!);
  }

  /** Ids below this were (or may have been) handed out. */
  get issuedBelow(): number {
    return this.#next;
  }

  /** A producer id never given before, by this broker or an earlier run of it. */
  allocate(): number {
    if (this.#next >= this.#reservedUntil) this.#persist(this.#next + PRODUCER_ID_BLOCK);
    return this.#next++;
  }

  /** Whether `id` could have come from this broker. */
  wasIssued(id: number): boolean {
    return id >= 0 && id < this.#reservedUntil;
  }

  #persist(nextBlock: number): void {
    const doc: MetaDoc = { version: VERSION, clusterId: this.clusterId, nextProducerIdBlock: nextBlock };
    writeFileAtomicSync(this.#path, `${JSON.stringify(doc)}\n`);
    this.#reservedUntil = nextBlock;
  }
}
