/**
 * The comparison's output: one markdown section (date, machine, versions, workload, table, what
 * each latency is, the issue's targets met or missed), printed and, with --write, put into
 * BENCHMARKS.md, replacing a section of the same date or appended.
 */
import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { PhaseResult } from './types.js';

export interface Phase {
  result?: PhaseResult;
  error?: string;
  /** Server CPU seconds over the phase. */
  cpuSeconds?: number;
  maxRssBytes?: number;
  /** records/s of every successful trial, when there were several (the phase shown is the median). */
  rates?: number[];
}

export interface Row {
  system: string;
  produce?: Phase;
  consume?: Phase;
  skipped?: string;
}

export interface ReportInput {
  date: Date;
  records: number;
  trials: number;
  recordSize: number;
  machine: string;
  /** 1-minute load averages at the start and the end of the run: how busy the machine was. */
  load: [number, number];
  versions: Record<string, string>;
  rows: Row[];
  notes: string[];
}

const SECTION_PREFIX = '## Side-by-side comparison, ';
const BENCHMARKS = fileURLToPath(new URL('../../../BENCHMARKS.md', import.meta.url));

export function machine(): string {
  let model = cpus()[0]?.model ?? 'unknown CPU';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1]!.trim();
  } catch {}
  return `${model}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM, Linux`;
}

const rate = (p: Phase | undefined) =>
  p?.result === undefined ? undefined : p.result.records / (p.result.elapsedMs / 1000);

function num(n: number | undefined, digits = 0): string {
  if (n === undefined || !Number.isFinite(n)) return '–';
  return n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });
}

function phaseCells(p: Phase | undefined): string[] {
  if (p === undefined) return ['–', '–'];
  if (p.result === undefined) return [`failed: ${p.error ?? '?'}`, '–'];
  const r = rate(p)!;
  const spread =
    p.rates !== undefined && p.rates.length > 1
      ? ` (${compact(Math.min(...p.rates))}–${compact(Math.max(...p.rates))})`
      : '';
  const failed = p.error === undefined ? '' : ` (${p.error})`;
  return [`${num(r)}${spread}${failed}`, num(p.result.bytes / 1e6 / (p.result.elapsedMs / 1000), 1)];
}

function compact(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(2)}M` : `${Math.round(n / 1e3)}k`;
}

function ratio(base: number | undefined, other: number | undefined): string {
  if (base === undefined || other === undefined || other === 0) return '–';
  return `${(base / other).toFixed(2)}×`;
}

export function renderReport(input: ReportInput): string {
  const date = input.date.toISOString().slice(0, 10);
  const base = input.rows.find((r) => r.system.startsWith('Rivulet, acks=all'));
  const baseProduce = rate(base?.produce);
  const baseConsume = rate(base?.consume);
  const lines: string[] = [];
  lines.push(`${SECTION_PREFIX}${date}`);
  lines.push('');
  lines.push(
    `Run at ${input.date.toISOString()} by \`npm run bench:compare -- --records ${input.records} --trials ${input.trials}\`. ` +
      "Each system ran once per trial, trials interleaved across systems; a rate is the median trial (its row shows that trial's other figures), with the range of all trials in parentheses.",
  );
  lines.push('');
  lines.push(
    `- Machine: ${input.machine}; 1-minute load average ${input.load[0].toFixed(1)} at the start, ${input.load[1].toFixed(1)} at the end. Clients and servers share it (each client phase is a fresh Node process).`,
  );
  lines.push(
    `- Versions: ${Object.entries(input.versions)
      .map(([k, v]) => `${k} ${v}`)
      .join('; ')}.`,
  );
  lines.push(
    `- Workload: ${num(input.records)} records of ${input.recordSize} bytes produced to one topic (Rivulet: 8 partitions, one producer connection; Redis and NATS: one stream), then all consumed. MB = 10^6 bytes of values.`,
  );
  lines.push('');
  lines.push(
    '| System | Produce records/s | Produce MB/s | Produce p50 ms | Produce p99 ms | Consume records/s | Consume MB/s | Server CPU s (produce / consume) | Server max RSS MB | Client CPU s (produce / consume) | Rivulet acks=all ÷ this (produce / consume) |',
  );
  lines.push('|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|');
  for (const r of input.rows) {
    if (r.skipped !== undefined) {
      lines.push(`| ${r.system} | skipped: ${r.skipped} | | | | | | | | | |`);
      continue;
    }
    const pr = r.produce?.result;
    const rss = Math.max(r.produce?.maxRssBytes ?? 0, r.consume?.maxRssBytes ?? 0);
    lines.push(
      `| ${[
        r.system,
        ...phaseCells(r.produce),
        num(pr?.p50Ms, 2),
        num(pr?.p99Ms, 2),
        ...phaseCells(r.consume),
        `${num(r.produce?.cpuSeconds, 2)} / ${num(r.consume?.cpuSeconds, 2)}`,
        rss > 0 ? num(rss / 2 ** 20) : '–',
        `${num(pr?.clientCpuSeconds, 2)} / ${num(r.consume?.result?.clientCpuSeconds, 2)}`,
        `${ratio(baseProduce, rate(r.produce))} / ${ratio(baseConsume, rate(r.consume))}`,
      ].join(' | ')} |`,
    );
  }
  lines.push('');
  lines.push('Produce latency, what one sample is:');
  for (const r of input.rows) {
    const what = r.produce?.result?.latencyOf;
    if (what !== undefined) lines.push(`- ${r.system}: ${what}.`);
  }
  lines.push('');
  lines.push(
    'Server RSS is VmRSS, sampled every 100 ms: for Rivulet it counts the resident pages of its memory-mapped segments (file cache, not heap). Server and client CPU are user + system seconds over the phase.',
  );
  lines.push('');
  lines.push(
    'Consume: Rivulet reads every partition by explicit assignment (no group, no offset commits); Redis reads through a consumer group with one XACK per batch of 1000; NATS through a durable pull consumer, acking (AckAll) every 1000th message.',
  );
  lines.push('');
  lines.push(
    'Durability differs: Rivulet acks=all answers after fdatasync; acks=1 after the write to the page cache; Redis syncs its AOF once a second; NATS syncs its file store every two minutes by default.',
  );
  lines.push('');
  lines.push(...targets(input.rows, baseProduce, baseConsume));
  if (input.notes.length > 0) {
    lines.push('');
    lines.push(...input.notes.map((n) => `- Note: ${n}`));
  }
  return lines.join('\n');
}

function targets(rows: Row[], produce: number | undefined, consume: number | undefined): string[] {
  const peer = (prefix: string) => rows.find((r) => r.system.startsWith(prefix));
  const check = (label: string, value: number | undefined, floor: number) =>
    value === undefined
      ? `- ${label}: not measured`
      : `- ${label}: ${value >= floor ? 'met' : '**missed**'} (${num(value, value < 100 ? 2 : 0)} against ${num(floor)})`;
  const redis = peer('Redis Streams (ioredis');
  const nats = peer('NATS');
  const ratioOf = (a: number | undefined, b: number | undefined) =>
    a === undefined || b === undefined ? undefined : a / b;
  return [
    "The issue's targets (Rivulet acks=all):",
    check('produce ≥ 1,000,000 records/s', produce, 1_000_000),
    check('consume ≥ 2,000,000 records/s', consume, 2_000_000),
    check('produce ≥ 4× Redis Streams', ratioOf(produce, rate(redis?.produce)), 4),
    check('consume ≥ 4× Redis Streams', ratioOf(consume, rate(redis?.consume)), 4),
    check('produce ≥ 4× NATS JetStream', ratioOf(produce, rate(nats?.produce)), 4),
    check('consume ≥ 4× NATS JetStream', ratioOf(consume, rate(nats?.consume)), 4),
  ];
}

/** Puts `section` into BENCHMARKS.md: replaces the section of the same date, else appends. */
export async function writeBenchmarks(section: string): Promise<string> {
  let text = '';
  try {
    text = await readFile(BENCHMARKS, 'utf8');
  } catch {
    text = '# Benchmarks\n\nSections are written by `npm run bench:compare -- --write`; newest last.\n';
  }
  const heading = section.split('\n')[0]!;
  const start = text.indexOf(`${heading}\n`);
  if (start >= 0) {
    const next = text.indexOf('\n## ', start + heading.length);
    text = `${text.slice(0, start)}${section}\n${next >= 0 ? text.slice(next) : ''}`;
  } else {
    text = `${text.trimEnd()}\n\n${section}\n`;
  }
  await writeFile(BENCHMARKS, text);
  return BENCHMARKS;
}
