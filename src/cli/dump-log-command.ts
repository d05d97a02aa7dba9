/**
 * `rivulet dump-log <file>`: lists the batches of a segment's `.log` file and says where and why the
 * first untrustworthy one is invalid (exit 1). Reads the file with node:fs and the TypeScript codec
 * (src/log/dump-log.ts), so it works without the addon and on a copy taken from a broken broker.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { type DumpedBatch, dumpLog } from '../log/dump-log.js';
import { decodeRecordBatch, type DecodedRecord } from '../protocol/record-batch.js';
import { EXIT_FAILURE, EXIT_OK, expectPositionals, parseCommandArgs } from './args.js';
import { writeOut } from './table.js';

const HELP = `Usage: rivulet dump-log <file.log> [options]

Prints each record batch of a segment file (offsets, position, size, timestamps, compression,
producer, CRC) and stops at the first invalid one, saying where and why: a bad length, a wrong
magic, a CRC mismatch, or a batch cut short by the end of the file. Zero bytes after the last
batch are preallocated space, not an error.

Options:
  -r, --print-records  also print every record: offset, timestamp, key, value, headers
  -h, --help           show this help

Exit codes: 0 the file is valid, 1 it holds an invalid batch (or cannot be read), 2 usage error.
`;

const OPTIONS = { 'print-records': { type: 'boolean', short: 'r' } } as const;

export async function dumpLogCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS);
  if (values.help) {
    process.stdout.write(HELP);
    return EXIT_OK;
  }
  const [path] = expectPositionals(positionals, ['file']) as [string];
  const result = dumpLog(path);
  if (!values['print-records']) {
    await writeOut(result.text);
  } else {
    await printWithRecords(path, result.text, result.batches);
  }
  if (result.invalid !== undefined) {
    const { position, reason } = result.invalid;
    process.stderr.write(`error: invalid batch at position ${position} of ${path}: ${reason}\n`);
    return EXIT_FAILURE;
  }
  return EXIT_OK;
}

/** The listing with each valid batch's records printed under its line. */
async function printWithRecords(path: string, text: string, batches: DumpedBatch[]): Promise<void> {
  const lines = text.replace(/\n$/, '').split('\n');
  const fd = openSync(path, 'r');
  try {
    let next = 0;
    for (const line of lines) {
      let out = `${line}\n`;
      const batch = batches[next];
      if (batch !== undefined && isLineOf(line, batch)) {
        out += recordLines(readBatch(fd, batch));
        next++;
      }
      await writeOut(out);
    }
  } finally {
    closeSync(fd);
  }
}

function isLineOf(line: string, batch: DumpedBatch): boolean {
  return line.startsWith(`baseOffset: ${batch.baseOffset} `) && line.includes(` position: ${batch.position} `);
}

function readBatch(fd: number, batch: DumpedBatch): DecodedRecord[] | Error {
  const buf = Buffer.allocUnsafe(batch.size);
  let got = 0;
  while (got < batch.size) {
    const n = readSync(fd, buf, got, batch.size - got, batch.position + got);
    if (n === 0) break;
    got += n;
  }
  try {
    return decodeRecordBatch(buf.subarray(0, got), 0, false).records;
  } catch (err) {
    return err instanceof Error ? err : new Error(String(err));
  }
}

const utf8 = new TextDecoder();

function show(bytes: Uint8Array | null): string {
  return bytes === null ? 'null' : JSON.stringify(utf8.decode(bytes));
}

function recordLines(records: DecodedRecord[] | Error): string {
  if (records instanceof Error) return `| records cannot be decoded: ${records.message}\n`;
  let out = '';
  for (const r of records) {
    const headers = r.headers.map((h) => `${h.key}=${show(h.value)}`).join(', ');
    out +=
      `| offset: ${r.offset} timestamp: ${r.timestamp} keySize: ${r.key?.length ?? -1} ` +
      `valueSize: ${r.value?.length ?? -1} headers: [${headers}] key: ${show(r.key)} value: ${show(r.value)}\n`;
  }
  return out;
}
