/**
 * CRC-32C (Castagnoli, reflected polynomial 0x82F63B78) in TypeScript, slicing-by-8.
 * The SDK verifies and produces RecordBatch CRCs with it, so it runs where no addon can
 * (browsers); the broker uses the native SSE4.2/ARMv8 one instead.
 */
const POLY = 0x82f63b78;

const TABLES: Uint32Array[] = (() => {
  const tables = Array.from({ length: 8 }, () => new Uint32Array(256));
  const t0 = tables[0] as Uint32Array;
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ POLY : c >>> 1;
    t0[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t0[n] as number;
    for (let t = 1; t < 8; t++) {
      c = (t0[c & 0xff] as number) ^ (c >>> 8);
      (tables[t] as Uint32Array)[n] = c >>> 0;
    }
  }
  return tables;
})();

const [T0, T1, T2, T3, T4, T5, T6, T7] = TABLES as [
  Uint32Array, Uint32Array, Uint32Array, Uint32Array,
  Uint32Array, Uint32Array, Uint32Array, Uint32Array,
];

/** CRC-32C of `data[start, end)`, continuing from `initial` (the CRC of what came before). */
export function crc32c(data: Uint8Array, initial = 0, start = 0, end = data.length): number {
  let crc = ~initial >>> 0;
  let i = start;
  const fast = end - ((end - start) & 7);
  while (i < fast) {
    const lo = (crc ^ (data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24))) >>> 0;
    crc =
      T7[lo & 0xff]! ^
      T6[(lo >>> 8) & 0xff]! ^
      T5[(lo >>> 16) & 0xff]! ^
      T4[lo >>> 24]! ^
      T3[data[i + 4]!]! ^
      T2[data[i + 5]!]! ^
      T1[data[i + 6]!]! ^
      T0[data[i + 7]!]!;
    i += 8;
  }
  while (i < end) crc = T0[(crc ^ data[i++]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}
