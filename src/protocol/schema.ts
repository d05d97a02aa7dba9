/**
 * A small shape checker for decoded msgpack bodies. Decoding only decodes (msgpack → plain values);
 * this second step says whether the values have the shape an api needs, and where they don't:
 * `INVALID_REQUEST at topics/0/partitions/3/index: expected an integer`. Types are inferred from
 * the schema, so each api states its shape once.
 */
import { RivuletError } from '../errors.js';

export type Schema<T> = {
  readonly kind: string;
  /** Returns the value (defaults filled in) or throws with the path to the first bad field. */
  check(value: unknown, path: string): T;
};
export type Infer<S> = S extends Schema<infer T> ? T : never;

function fail(path: string, expected: string, value: unknown): never {
  const got = value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
  throw new RivuletError('INVALID_REQUEST', `${path || 'body'}: expected ${expected}, got ${got}`, {
    path: path || 'body',
  });
}

/** Integers are JS numbers within ±2^53 (offsets and timestamps included: see DESIGN.md, Offsets). */
export const int: Schema<number> = {
  kind: 'int',
  check(v, path) {
    if (typeof v !== 'number' || !Number.isSafeInteger(v)) fail(path, 'an integer', v);
    return v;
  },
};

export const str: Schema<string> = {
  kind: 'str',
  check(v, path) {
    if (typeof v !== 'string') fail(path, 'a string', v);
    return v;
  },
};

export const bool: Schema<boolean> = {
  kind: 'bool',
  check(v, path) {
    if (typeof v !== 'boolean') fail(path, 'a boolean', v);
    return v;
  },
};

export const bytes: Schema<Uint8Array> = {
  kind: 'bytes',
  check(v, path) {
    if (!(v instanceof Uint8Array)) fail(path, 'binary', v);
    return v;
  },
};

export function nullable<T>(inner: Schema<T>): Schema<T | null> {
  return {
    kind: `nullable ${inner.kind}`,
    check: (v, path) => (v === null || v === undefined ? null : inner.check(v, path)),
  };
}

/** A field that may be absent; `fallback` is what the handler sees then. */
export function opt<T>(inner: Schema<T>, fallback: T): Schema<T> {
  return {
    kind: `optional ${inner.kind}`,
    check: (v, path) => (v === undefined || v === null ? fallback : inner.check(v, path)),
  };
}

export function arr<T>(inner: Schema<T>, maxLength = 100_000): Schema<T[]> {
  return {
    kind: `array of ${inner.kind}`,
    check(v, path) {
      if (!Array.isArray(v)) fail(path, 'an array', v);
      if (v.length > maxLength) fail(path, `at most ${maxLength} items`, v);
      for (let i = 0; i < v.length; i++) v[i] = inner.check(v[i], `${path}/${i}`);
      return v as T[];
    },
  };
}

export function oneOf<const T extends readonly (string | number)[]>(...values: T): Schema<T[number]> {
  return {
    kind: values.join('|'),
    check(v, path) {
      if (!values.includes(v as T[number])) fail(path, `one of ${values.join(', ')}`, v);
      return v as T[number];
    },
  };
}

type Fields = Record<string, Schema<unknown>>;
export type InferFields<F extends Fields> = { [K in keyof F]: Infer<F[K]> };

/** An object with these fields; unknown fields are ignored (newer clients may send more). */
export function obj<F extends Fields>(fields: F): Schema<InferFields<F>> {
  const entries = Object.entries(fields);
  return {
    kind: 'object',
    check(v, path) {
      if (typeof v !== 'object' || v === null || Array.isArray(v) || v instanceof Uint8Array) fail(path, 'a map', v);
      const src = v as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      for (const [key, schema] of entries) out[key] = schema.check(src[key], path ? `${path}/${key}` : key);
      return out as InferFields<F>;
    },
  };
}
