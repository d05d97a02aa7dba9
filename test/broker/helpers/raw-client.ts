/**
 * A raw protocol client for broker tests: speaks docs/PROTOCOL.md frames directly over a `ws`
 * WebSocket, so tests can send anything (well-formed or not) and see exactly what comes back.
 */
import WebSocket from 'ws';
import { ApiKeys } from '../../../src/protocol/api.js';
import { decodeResponse, encodeRequest } from '../../../src/protocol/frame.js';
import {
  decodeRecordBatches,
  type DecodedRecord,
  encodeRecordBatch,
  type RecordInput,
  type BatchOptions,
} from '../../../src/protocol/record-batch.js';

export interface RawResponse {
  correlationId: number;
  errorCode: number;
  // biome-ignore lint/suspicious/noExplicitAny: tests read response bodies loosely
  body: any;
  raws: Buffer[];
}

interface Pending {
  resolve(r: RawResponse): void;
  reject(e: Error): void;
}

export class RawClient {
  readonly ws: WebSocket;
  readonly closed: Promise<{ code: number; reason: string }>;
  #nextId = 1;
  readonly #pending = new Map<number, Pending>();
  /** Responses no request waits for (e.g. correlation id -1). */
  readonly #unmatched: RawResponse[] = [];
  #unmatchedWaiters: Array<(r: RawResponse) => void> = [];
  /** A response whose raw messages are still arriving. */
  #current: { response: RawResponse; remaining: number } | null = null;

  private constructor(ws: WebSocket) {
    this.ws = ws;
    this.closed = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        for (const p of this.#pending.values()) p.reject(new Error(`connection closed (${code} ${reason.toString()})`));
        this.#pending.clear();
        resolve({ code, reason: reason.toString() });
      });
    });
    ws.on('error', () => {});
    ws.on('message', (data: Buffer, isBinary) => this.#onMessage(data, isBinary));
  }

  static connect(url: string): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { maxPayload: 256 << 20 });
      const client = new RawClient(ws);
      ws.once('open', () => resolve(client));
      ws.once('unexpected-response', (_req, res) =>
        reject(Object.assign(new Error(`HTTP ${res.statusCode}`), { statusCode: res.statusCode })),
      );
      ws.once('error', reject);
    });
  }

  nextCorrelationId(): number {
    return this.#nextId++;
  }

  /** Sends one request and waits for its response (with its raw messages). */
  request(
    apiKey: number,
    body: unknown,
    opts: { version?: number; payload?: Uint8Array[] } = {},
  ): Promise<RawResponse> {
    const id = this.#nextId++;
    const promise = this.expect(id);
    this.ws.send(encodeRequest(apiKey, opts.version ?? 0, id, body, opts.payload ?? []));
    return promise;
  }

  /** Waits for the response with this correlation id. */
  expect(correlationId: number): Promise<RawResponse> {
    return new Promise((resolve, reject) => this.#pending.set(correlationId, { resolve, reject }));
  }

  /** Sends bytes as they are. */
  sendRaw(bytes: Uint8Array | string): void {
    this.ws.send(bytes);
  }

  /** The next response no request was waiting for. */
  nextUnmatched(): Promise<RawResponse> {
    const r = this.#unmatched.shift();
    if (r !== undefined) return Promise.resolve(r);
    return new Promise((resolve) => this.#unmatchedWaiters.push(resolve));
  }

  close(): Promise<{ code: number; reason: string }> {
    this.ws.close();
    return this.closed;
  }

  #onMessage(data: Buffer, isBinary: boolean): void {
    if (!isBinary) throw new Error('the broker sent a text message');
    if (this.#current !== null) {
      this.#current.response.raws.push(data);
      if (--this.#current.remaining === 0) {
        const { response } = this.#current;
        this.#current = null;
        this.#deliver(response);
      }
      return;
    }
    const d = decodeResponse(data);
    const response: RawResponse = { correlationId: d.correlationId, errorCode: d.errorCode, body: d.body, raws: [] };
    if (d.rawCount > 0) this.#current = { response, remaining: d.rawCount };
    else this.#deliver(response);
  }

  #deliver(r: RawResponse): void {
    const p = this.#pending.get(r.correlationId);
    if (p !== undefined) {
      this.#pending.delete(r.correlationId);
      p.resolve(r);
      return;
    }
    const waiter = this.#unmatchedWaiters.shift();
    if (waiter !== undefined) waiter(r);
    else this.#unmatched.push(r);
  }

  // ---- typed helpers ----

  createTopic(
    name: string,
    numPartitions = 1,
    configs: Array<{ name: string; value: string | null }> = [],
  ): Promise<RawResponse> {
    return this.request(ApiKeys.CreateTopics, { topics: [{ name, numPartitions, configs }] });
  }

  /** Produces `batches` to one partition. */
  produce(topic: string, partition: number, batches: Uint8Array[], acks: 0 | 1 | -1 = -1): Promise<RawResponse> {
    const bytes = batches.reduce((n, b) => n + b.length, 0);
    return this.request(
      ApiKeys.Produce,
      { acks, topics: [{ name: topic, partitions: [{ index: partition, bytes }] }] },
      { payload: batches },
    );
  }

  /** Produces, then returns the partition's answer (throws if the request itself failed). */
  async produceOne(topic: string, partition: number, batch: Uint8Array, acks: 1 | -1 = -1) {
    const r = await this.produce(topic, partition, [batch], acks);
    if (r.errorCode !== 0) throw new Error(`produce failed: ${r.errorCode} ${JSON.stringify(r.body)}`);
    return r.body.topics[0].partitions[0] as {
      errorCode: number;
      baseOffset: number;
      errorMessage: string | null;
      details: Record<string, unknown> | null;
    };
  }

  fetch(
    topic: string,
    partition: number,
    fetchOffset: number,
    opts: { maxWaitMs?: number; minBytes?: number; maxBytes?: number; partitionMaxBytes?: number } = {},
  ): Promise<RawResponse> {
    return this.request(ApiKeys.Fetch, {
      maxWaitMs: opts.maxWaitMs ?? 0,
      minBytes: opts.minBytes ?? 1,
      maxBytes: opts.maxBytes ?? 50 << 20,
      topics: [
        {
          name: topic,
          partitions: [{ index: partition, fetchOffset, partitionMaxBytes: opts.partitionMaxBytes ?? 1 << 20 }],
        },
      ],
    });
  }

  /** Fetches and decodes the records at or after `fetchOffset`. */
  async fetchRecords(
    topic: string,
    partition: number,
    fetchOffset: number,
    opts: { maxWaitMs?: number; minBytes?: number; maxBytes?: number } = {},
  ): Promise<DecodedRecord[]> {
    const r = await this.fetch(topic, partition, fetchOffset, opts);
    const p = r.body.topics[0].partitions[0];
    if (r.errorCode !== 0 || p.errorCode !== 0)
      throw new Error(`fetch failed: ${r.errorCode}/${p.errorCode} ${p.errorMessage}`);
    return decodeRaws(r.raws).filter((rec) => rec.offset >= fetchOffset);
  }

  /** Every record from `from` to the log end. */
  async readAll(topic: string, partition: number, from = 0): Promise<DecodedRecord[]> {
    const out: DecodedRecord[] = [];
    let offset = from;
    for (;;) {
      const records = await this.fetchRecords(topic, partition, offset);
      if (records.length === 0) return out;
      out.push(...records);
      offset = records[records.length - 1]!.offset + 1;
    }
  }

  listOffset(topic: string, partition: number, timestamp: number): Promise<RawResponse> {
    return this.request(ApiKeys.ListOffsets, {
      topics: [{ name: topic, partitions: [{ index: partition, timestamp }] }],
    });
  }

  async logEndOffset(topic: string, partition: number): Promise<number> {
    const r = await this.listOffset(topic, partition, -1);
    return r.body.topics[0].partitions[0].offset as number;
  }
}

export function decodeRaws(raws: Buffer[]): DecodedRecord[] {
  return raws.flatMap((raw) => decodeRecordBatches(raw).flatMap((b) => b.records));
}

const text = new TextDecoder();
export function valueText(r: DecodedRecord): string {
  return r.value === null ? '' : text.decode(r.value);
}

/** A batch of records with string values. */
export function batchOf(values: string[], opts: BatchOptions = {}): Uint8Array {
  const records: RecordInput[] = values.map((value) => ({ value }));
  return encodeRecordBatch(records, opts);
}
