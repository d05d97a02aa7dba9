/**
 * Walks a msgpack value without building it and refuses what the broker will not decode: nesting
 * deeper than MAX_DEPTH, collections or strings past their limits, extension types (msgpackr would
 * turn those into class instances), and truncation. Control headers are small, so one walk
 * before msgpackr costs little and keeps a hostile frame from allocating much.
 */
import { RivuletError } from '../errors.js';

export interface MsgpackLimits {
  maxDepth: number;
  maxArray: number;
  maxMap: number;
  maxString: number;
  maxBinary: number;
}

export const DEFAULT_MSGPACK_LIMITS: MsgpackLimits = {
  maxDepth: 16,
  maxArray: 100_000,
  maxMap: 10_000,
  maxString: 1 << 20,
  maxBinary: 16 << 20,
};

function bad(reason: string, pos: number): never {
  throw new RivuletError('INVALID_REQUEST', `malformed msgpack at byte ${pos}: ${reason}`);
}

/** Returns the position after the value that starts at `pos`; throws INVALID_REQUEST. */
export function guardMsgpack(buf: Uint8Array, pos = 0, end = buf.length, limits = DEFAULT_MSGPACK_LIMITS): number {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // Explicit stack of "values still to read" per open container: no recursion on hostile depth.
  const pending: number[] = [1];
  while (pending.length > 0) {
    const top = pending.length - 1;
    if (pending[top] === 0) {
      pending.pop();
      continue;
    }
    pending[top]!--;
    if (pos >= end) bad('truncated', pos);
    const b = buf[pos]!;
    let size = 0; // bytes of payload to skip
    let children = -1; // >= 0 when the value is a container
    let head = 1;
    if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) {
      // fixint, negative fixint, nil, false, true
    } else if (b >= 0x80 && b <= 0x8f) children = (b & 0x0f) * 2;
    else if (b >= 0x90 && b <= 0x9f) children = b & 0x0f;
    else if (b >= 0xa0 && b <= 0xbf) size = b & 0x1f;
    else {
      const need = (n: number) => {
        if (pos + 1 + n > end) bad('truncated', pos);
      };
      switch (b) {
        case 0xcc: case 0xd0: size = 1; break;
        case 0xcd: case 0xd1: size = 2; break;
        case 0xca: case 0xce: case 0xd2: size = 4; break;
        case 0xcb: case 0xcf: case 0xd3: size = 8; break;
        case 0xd9: case 0xc4: need(1); head = 2; size = buf[pos + 1]!; break;
        case 0xda: case 0xc5: need(2); head = 3; size = view.getUint16(pos + 1); break;
        case 0xdb: case 0xc6: need(4); head = 5; size = view.getUint32(pos + 1); break;
        case 0xdc: need(2); head = 3; children = view.getUint16(pos + 1); break;
        case 0xdd: need(4); head = 5; children = view.getUint32(pos + 1); break;
        case 0xde: need(2); head = 3; children = view.getUint16(pos + 1) * 2; break;
        case 0xdf: need(4); head = 5; children = view.getUint32(pos + 1) * 2; break;
        default:
          bad(`type 0x${b.toString(16)} is not accepted (extension types are refused)`, pos);
      }
      const isStr = b === 0xd9 || b === 0xda || b === 0xdb;
      const isBin = b === 0xc4 || b === 0xc5 || b === 0xc6;
      if (isStr && size > limits.maxString) bad(`string of ${size} bytes exceeds ${limits.maxString}`, pos);
      if (isBin && size > limits.maxBinary) bad(`binary of ${size} bytes exceeds ${limits.maxBinary}`, pos);
    }
    if (children >= 0) {
      const isMap = (b >= 0x80 && b <= 0x8f) || b === 0xde || b === 0xdf;
      if (isMap && children / 2 > limits.maxMap) bad(`map of ${children / 2} entries exceeds ${limits.maxMap}`, pos);
      if (!isMap && children > limits.maxArray) bad(`array of ${children} items exceeds ${limits.maxArray}`, pos);
      // Every child takes at least one byte: a count beyond the bytes left is a lie.
      if (children > end - pos - head) bad('collection count exceeds the bytes left', pos);
      if (pending.length > limits.maxDepth) bad(`nesting deeper than ${limits.maxDepth}`, pos);
      pos += head;
      pending.push(children);
      continue;
    }
    pos += head + size;
    if (pos > end) bad('truncated', pos);
  }
  return pos;
}
