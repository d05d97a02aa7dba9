/**
 * CRC-32C of a concatenation from the CRCs of its parts: crc(A ‖ B) = crc32cCombine(crc(A),
 * crc(B), |B|). The producer CRCs a batch's records as it writes them, while they are still in
 * cache, and combines that with the header's CRC once the header is known: reading a 1 MiB batch
 * again at the end, from memory, cost three times as much.
 *
 * The arithmetic is polynomial over GF(2), reflected as the CRC is: appending n zero bytes to A
 * multiplies its remainder by x^(8n) modulo the CRC polynomial, and the pre- and post-inversion of
 * the standard CRC cancel out in the sum, so crc(A ‖ B) = crc(A)·x^(8|B|) mod P + crc(B).
 */
const POLY = 0x82f63b78;

/** a(x)·b(x) mod P(x), both reflected (bit 31 is x^0). */
function multiplyModP(a: number, b: number): number {
  let product = 0;
  for (let bit = 0x80000000; bit !== 0; bit >>>= 1) {
    if (a & bit) product ^= b;
    b = b & 1 ? (b >>> 1) ^ POLY : b >>> 1;
  }
  return product >>> 0;
}

/** x^(2^k) mod P for k = 0..63: squaring the one before. */
const X_POW_2K: number[] = (() => {
  const out: number[] = [0x40000000]; // x^1
  for (let k = 1; k < 64; k++) out.push(multiplyModP(out[k - 1]!, out[k - 1]!));
  return out;
})();

/** x^(8n) mod P: the multiplier that appends n zero bytes. */
function xPow8n(n: number): number {
  let result = 0x80000000; // x^0
  let k = 3; // 8n = n·2^3
  while (n > 0) {
    if (n % 2 === 1) result = multiplyModP(X_POW_2K[k]!, result);
    n = Math.floor(n / 2);
    k++;
  }
  return result;
}

/** The CRC-32C of A ‖ B, given crc(A), crc(B) and B's length in bytes. */
export function crc32cCombine(crcA: number, crcB: number, lengthB: number): number {
  if (lengthB <= 0) return crcA >>> 0;
  return (multiplyModP(xPow8n(lengthB), crcA >>> 0) ^ crcB) >>> 0;
}
