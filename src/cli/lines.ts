/**
 * Splits a byte stream into lines without decoding it: `\n` ends a line, a `\r` before it is
 * dropped, and a last line without a newline still counts. Lines are views into the chunks read
 * (no copy) except where a line spans chunks. Lines come out in arrays, one per chunk read, so a
 * producer can batch without a per-line await.
 */
const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

function trimCr(line: Buffer): Buffer {
  return line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN ? line.subarray(0, line.length - 1) : line;
}

/** Yields the complete lines found in each chunk of `input`. */
export async function* readLines(input: AsyncIterable<Buffer | string>): AsyncGenerator<Buffer[]> {
  let carry: Buffer[] = [];
  for await (const raw of input) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    const lines: Buffer[] = [];
    let start = 0;
    let nl = chunk.indexOf(NEWLINE, start);
    while (nl >= 0) {
      let line = chunk.subarray(start, nl);
      if (carry.length > 0) {
        carry.push(line);
        line = Buffer.concat(carry);
        carry = [];
      }
      lines.push(trimCr(line));
      start = nl + 1;
      nl = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) carry.push(chunk.subarray(start));
    if (lines.length > 0) yield lines;
  }
  if (carry.length > 0) {
    const last = trimCr(Buffer.concat(carry));
    yield [last];
  }
}

/** Splits `line` at the first `separator`: [key, value], or [null, line] when it is absent. */
export function splitKey(line: Buffer, separator: Buffer): [Buffer | null, Buffer] {
  const at = line.indexOf(separator);
  if (at < 0) return [null, line];
  return [line.subarray(0, at), line.subarray(at + separator.length)];
}
