import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { RivuletError } from '../../src/errors.js';
import {
  CliError,
  UsageError,
  parseCommandArgs,
  parseIntOption,
  parseKeyValues,
  parseTimestamp,
  resolveBrokers,
} from '../../src/cli/args.js';
import { readLines, splitKey } from '../../src/cli/lines.js';
import { compileFormat, parseFormat } from '../../src/cli/record-format.js';
import { errnoOf, explainClientError } from '../../src/cli/report.js';

async function collect(chunks: Array<string | Buffer>): Promise<string[]> {
  const out: string[] = [];
  for await (const lines of readLines(Readable.from(chunks.map((c) => Buffer.from(c))))) {
    for (const l of lines) out.push(l.toString());
  }
  return out;
}

describe('readLines', () => {
  it('splits on newlines and keeps an unterminated last line', async () => {
    assert.deepEqual(await collect(['a\nb\n', 'c']), ['a', 'b', 'c']);
  });
  it('does not invent a record for the final newline', async () => {
    assert.deepEqual(await collect(['a\n']), ['a']);
  });
  it('keeps empty lines in the middle', async () => {
    assert.deepEqual(await collect(['a\n\nb\n']), ['a', '', 'b']);
  });
  it('joins a line split across chunks, including a CRLF split between them', async () => {
    assert.deepEqual(await collect(['hel', 'lo wo', 'rld\r', '\nnext\r\n']), ['hello world', 'next']);
  });
  it('yields nothing for empty input', async () => {
    assert.deepEqual(await collect([]), []);
  });
});

describe('splitKey', () => {
  it('splits at the first separator only', () => {
    const [k, v] = splitKey(Buffer.from('k1::v::w'), Buffer.from('::'));
    assert.equal(k?.toString(), 'k1');
    assert.equal(v.toString(), 'v::w');
  });
  it('gives a null key when the separator is absent', () => {
    const [k, v] = splitKey(Buffer.from('plain'), Buffer.from(':'));
    assert.equal(k, null);
    assert.equal(v.toString(), 'plain');
  });
  it('gives an empty key for a leading separator', () => {
    const [k, v] = splitKey(Buffer.from(':v'), Buffer.from(':'));
    assert.equal(k?.toString(), '');
    assert.equal(v.toString(), 'v');
  });
});

describe('record format', () => {
  const record = {
    topic: 't',
    partition: 2,
    offset: 41,
    timestamp: 1700000000000,
    key: Buffer.from('k'),
    value: Buffer.from('héllo'),
    headers: { a: Buffer.from('1'), b: [Buffer.from('2'), Buffer.from('3')] },
  };
  it('fills every placeholder and interprets escapes', () => {
    const f = compileFormat('{topic}/{partition}@{offset} {timestamp}\\t{key}={value} [{headers}]');
    assert.equal(f(record), 't/2@41 1700000000000\tk=héllo [a=1,b=2,b=3]');
  });
  it('prints a null key as nothing', () => {
    assert.equal(compileFormat('{key}|{value}')({ ...record, key: null }), '|héllo');
  });
  it('accepts header arrays of {key, value}', () => {
    assert.equal(compileFormat('{headers}')({ ...record, headers: [{ key: 'x', value: Buffer.from('y') }] }), 'x=y');
  });
  it('keeps escaped braces literal', () => {
    assert.equal(compileFormat('\\{value\\}')(record), '{value}');
  });
  it('rejects an unknown placeholder as a usage error', () => {
    assert.throws(() => parseFormat('{nope}'), UsageError);
    assert.throws(() => parseFormat('{value'), UsageError);
  });
});

describe('argument parsing', () => {
  it('turns unknown options into usage errors', () => {
    assert.throws(
      () => parseCommandArgs(['--bogus'], {}),
      (e: Error) => e instanceof UsageError && /bogus/.test(e.message),
    );
  });
  it('always accepts --help', () => {
    assert.equal(parseCommandArgs(['-h'], {}).values.help, true);
  });
  it('parses bounded integers', () => {
    assert.equal(parseIntOption('n', '12', 1), 12);
    assert.throws(() => parseIntOption('n', '0', 1), UsageError);
    assert.throws(() => parseIntOption('n', '1.5'), UsageError);
    assert.throws(() => parseIntOption('n', 'x'), UsageError);
  });
  it('parses k=v pairs, the value keeping its own =', () => {
    assert.deepEqual(parseKeyValues('config', ['a=1', 'b=x=y', 'a=2']), [
      ['a', '2'],
      ['b', 'x=y'],
    ]);
    assert.throws(() => parseKeyValues('config', ['=1']), UsageError);
    assert.throws(() => parseKeyValues('config', ['novalue']), UsageError);
  });
  it('parses timestamps as epoch ms or ISO dates', () => {
    assert.equal(parseTimestamp('timestamp', '1700000000000'), 1700000000000);
    assert.equal(parseTimestamp('timestamp', '2024-05-01T00:00:00Z'), Date.UTC(2024, 4, 1));
    assert.throws(() => parseTimestamp('timestamp', 'yesterday'), UsageError);
  });
  it('resolves brokers from the flag, then the environment, then the default', () => {
    assert.deepEqual(resolveBrokers('a:1,ws://b:2/', {}), ['ws://a:1', 'ws://b:2']);
    assert.deepEqual(resolveBrokers(undefined, { RIVULET_BROKERS: 'ws://c:3' }), ['ws://c:3']);
    assert.deepEqual(resolveBrokers(undefined, {}), ['ws://127.0.0.1:9080']);
    assert.throws(() => resolveBrokers('http://x:1', {}), UsageError);
  });
});

describe('error explanations', () => {
  const ctx = { brokers: ['ws://127.0.0.1:1'], topic: 'orders' };
  it('names the broker and the errno for a connection failure', () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    const err = explainClientError(new RivuletError('CONNECTION_ERROR', 'connection failed', { cause }), ctx);
    assert.ok(err instanceof CliError);
    assert.equal(
      err.message,
      'cannot reach broker at ws://127.0.0.1:1 (ECONNREFUSED) — is it running? start one with `rivulet broker`',
    );
  });
  it('names the topic for an unknown topic', () => {
    const err = explainClientError(RivuletError.fromWire(3, 'no such topic'), ctx);
    assert.equal(err.message, "unknown topic 'orders'");
  });
  it('drops the request path the SDK puts before an invalid argument', () => {
    const err = new RivuletError('INVALID_ARGUMENT', 'messages/0/partition: partition 9 is out of range', {
      path: 'messages/0/partition',
    });
    assert.equal(explainClientError(err, ctx).message, 'partition 9 is out of range');
  });
  it('says already-exists with the topic name', () => {
    assert.equal(explainClientError(RivuletError.fromWire(36, 'exists'), ctx).message, "topic 'orders' already exists");
  });
  it('finds an errno in the message when no cause carries it', () => {
    assert.equal(errnoOf(new Error('connect ECONNREFUSED 127.0.0.1:9080')), 'ECONNREFUSED');
    assert.equal(errnoOf(new Error('CONNECTION_ERROR: ERROR here')), undefined);
  });
});
