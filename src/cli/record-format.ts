/**
 * `rivulet consume --format`: a template such as `{key}\t{value}` compiled once into a function
 * from a record to a line. Placeholders: {key} {value} {offset} {partition} {timestamp} {topic}
 * {headers}. Escapes: \t \n \r \\ \{ \}. Keys, values and header values print as UTF-8; a null key
 * or value prints as nothing. Headers print as `k=v` pairs joined by commas.
 */
import { UsageError } from './args.js';

export const DEFAULT_FORMAT = '{value}';

export const PLACEHOLDERS = ['key', 'value', 'offset', 'partition', 'timestamp', 'topic', 'headers'] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

type Bytes = Uint8Array | string | null | undefined;

export interface FormattableRecord {
  topic: string;
  partition: number;
  offset: number | string | bigint;
  timestamp: number | string | bigint;
  key: Bytes;
  value: Bytes;
  headers?: Record<string, Bytes | Bytes[]> | Array<{ key: string; value: Bytes }> | null;
}

export type RecordFormatter = (record: FormattableRecord) => string;

const ESCAPES: Record<string, string> = { t: '\t', n: '\n', r: '\r', '\\': '\\', '{': '{', '}': '}' };

type Part = { literal: string } | { field: Placeholder };

/** Splits a template into literals and placeholders; an unknown placeholder is a usage error. */
export function parseFormat(template: string): Part[] {
  const parts: Part[] = [];
  let literal = '';
  for (let i = 0; i < template.length; i++) {
    const ch = template[i]!;
    if (ch === '\\' && i + 1 < template.length) {
      const esc = ESCAPES[template[i + 1]!];
      if (esc !== undefined) {
        literal += esc;
        i++;
        continue;
      }
    }
    if (ch === '{') {
      const close = template.indexOf('}', i + 1);
      const name = close < 0 ? '' : template.slice(i + 1, close);
      if ((PLACEHOLDERS as readonly string[]).includes(name)) {
        if (literal) parts.push({ literal });
        literal = '';
        parts.push({ field: name as Placeholder });
        i = close;
        continue;
      }
      throw new UsageError(
        `--format: unknown placeholder '${close < 0 ? template.slice(i) : `{${name}}`}' ` +
          `(known: ${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')}; write \\{ for a literal brace)`,
      );
    }
    literal += ch;
  }
  if (literal) parts.push({ literal });
  return parts;
}

const decoder = new TextDecoder('utf-8');

function text(b: Bytes): string {
  if (b === null || b === undefined) return '';
  return typeof b === 'string' ? b : decoder.decode(b);
}

function headersText(headers: FormattableRecord['headers']): string {
  if (!headers) return '';
  const pairs: string[] = [];
  if (Array.isArray(headers)) {
    for (const h of headers) pairs.push(`${h.key}=${text(h.value)}`);
  } else {
    for (const [k, v] of Object.entries(headers)) {
      if (Array.isArray(v)) for (const one of v) pairs.push(`${k}=${text(one)}`);
      else pairs.push(`${k}=${text(v)}`);
    }
  }
  return pairs.join(',');
}

function field(record: FormattableRecord, name: Placeholder): string {
  switch (name) {
    case 'key':
      return text(record.key);
    case 'value':
      return text(record.value);
    case 'offset':
      return String(record.offset);
    case 'partition':
      return String(record.partition);
    case 'timestamp':
      return String(record.timestamp);
    case 'topic':
      return record.topic;
    case 'headers':
      return headersText(record.headers);
  }
}

/** Compiles a template into a formatter; the result carries no trailing newline. */
export function compileFormat(template: string): RecordFormatter {
  const parts = parseFormat(template);
  if (parts.length === 1 && 'field' in parts[0]! && parts[0].field === 'value') {
    return (r) => text(r.value);
  }
  return (record) => {
    let out = '';
    for (const p of parts) out += 'literal' in p ? p.literal : field(record, p.field);
    return out;
  };
}
