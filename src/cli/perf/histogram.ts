/**
 * A small HDR-style histogram of non-negative integers (the perf tools record microseconds).
 *
 * Layout: values below 2^(SUB_BITS+1) each have their own bucket (exact). Above, every power of
 * two [2^e, 2^(e+1)) is split into 2^SUB_BITS equal sub-buckets, so a recorded value is known to
 * within 1 / 2^SUB_BITS (under 0.8 % with 7 bits) of its true value, whatever its magnitude.
 * Recording is a few integer operations and one array increment; memory is fixed (about 36 KiB).
 * Percentiles report the highest value equivalent to the bucket holding the rank (as
 * HdrHistogram does), clamped to the largest value actually recorded.
 */

const SUB_BITS = 7;
const SUB_COUNT = 1 << SUB_BITS;
/** Values below this are stored exactly, one bucket each. */
const EXACT_LIMIT = SUB_COUNT * 2;
const EXACT_EXP = SUB_BITS + 1;
/** Largest value kept as is; larger values are recorded as this (2^43 µs is about 100 days). */
export const HISTOGRAM_MAX_VALUE = 2 ** 43 - 1;
const MAX_EXP = 43;
const BUCKETS = EXACT_LIMIT + (MAX_EXP - EXACT_EXP) * SUB_COUNT;

/** floor(log2(v)) for an integer v ≥ 2^31 (below, Math.clz32 answers). */
function log2Floor(v: number): number {
  let e = Math.floor(Math.log2(v));
  if (2 ** e > v) e--;
  else if (2 ** (e + 1) <= v) e++;
  return e;
}

function indexOf(v: number): number {
  if (v < EXACT_LIMIT) return v;
  let e: number;
  let sub: number; // in [SUB_COUNT, 2 * SUB_COUNT)
  if (v < 2 ** 31) {
    e = 31 - Math.clz32(v);
    sub = v >>> (e - SUB_BITS);
  } else {
    e = log2Floor(v);
    sub = Math.floor(v / 2 ** (e - SUB_BITS));
  }
  return EXACT_LIMIT + (e - EXACT_EXP) * SUB_COUNT + (sub - SUB_COUNT);
}

/** The largest value that lands in bucket `i`. */
function highestOf(i: number): number {
  if (i < EXACT_LIMIT) return i;
  const e = EXACT_EXP + Math.floor((i - EXACT_LIMIT) / SUB_COUNT);
  const sub = SUB_COUNT + ((i - EXACT_LIMIT) % SUB_COUNT);
  const width = 2 ** (e - SUB_BITS);
  return sub * width + width - 1;
}

export class Histogram {
  private readonly counts = new Float64Array(BUCKETS);
  private total = 0;
  private sum = 0;
  private minValue = Number.POSITIVE_INFINITY;
  private maxValue = 0;

  /** Records `value` (rounded down to an integer, clamped to [0, HISTOGRAM_MAX_VALUE]) `count` times. */
  record(value: number, count = 1): void {
    if (!(count > 0)) return;
    let v = Number.isFinite(value) ? Math.floor(value) : HISTOGRAM_MAX_VALUE;
    if (v < 0) v = 0;
    else if (v > HISTOGRAM_MAX_VALUE) v = HISTOGRAM_MAX_VALUE;
    this.counts[indexOf(v)]! += count;
    this.total += count;
    this.sum += v * count;
    if (v < this.minValue) this.minValue = v;
    if (v > this.maxValue) this.maxValue = v;
  }

  /** Adds every value of `other` into this histogram. */
  add(other: Histogram): void {
    if (other.total === 0) return;
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    this.sum += other.sum;
    if (other.minValue < this.minValue) this.minValue = other.minValue;
    if (other.maxValue > this.maxValue) this.maxValue = other.maxValue;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.sum = 0;
    this.minValue = Number.POSITIVE_INFINITY;
    this.maxValue = 0;
  }

  get count(): number {
    return this.total;
  }

  /** The exact mean of the recorded (integer) values; 0 when empty. */
  get mean(): number {
    return this.total === 0 ? 0 : this.sum / this.total;
  }

  get min(): number {
    return this.total === 0 ? 0 : this.minValue;
  }

  get max(): number {
    return this.maxValue;
  }

  /**
   * The value at percentile `p` (0 to 100): the smallest bucket whose cumulative count reaches
   * ceil(p / 100 × count), reported as its highest equivalent value. 0 when empty.
   */
  percentile(p: number): number {
    if (this.total === 0) return 0;
    const q = Math.min(100, Math.max(0, p));
    // 99.9 % of 1000 is 999.0000000000001 in floating point: forgive the rounding before ceil.
    const exact = (q / 100) * this.total;
    const rank = Math.max(1, Math.ceil(exact - exact * 1e-12));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.max(this.min, Math.min(highestOf(i), this.maxValue));
    }
    return this.maxValue;
  }
}
