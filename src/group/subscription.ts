/**
 * Topic subscriptions: a list of names and/or a regular expression, resolved against the topics
 * that exist. A regex is a JavaScript RegExp source, matched against whole names (as if wrapped in
 * `^(?:…)$`), and never matches an internal topic (a name starting with `__`).
 *
 * Kafka resolves regexes with RE2, which cannot backtrack. A JavaScript RegExp can, and a topic
 * name is up to 249 characters, so a pattern like `(a+)+b` could stall the broker. Patterns are
 * therefore refused (INVALID_REQUEST) when they are over MAX_REGEX_LENGTH or use what RE2 lacks
 * or what backtracks badly: backreferences, lookaround, and a quantified group that itself
 * contains a quantifier or an alternation.
 */
import { RivuletError } from '../errors.js';
import { compareStrings } from './assignors/common.js';

export const MAX_REGEX_LENGTH = 1024;

export function isInternalTopic(name: string): boolean {
  return name.startsWith('__');
}

function refuse(source: string, why: string): never {
  throw new RivuletError('INVALID_REQUEST', `subscribedTopicRegex ${JSON.stringify(source)}: ${why}`, {
    path: 'subscribedTopicRegex',
  });
}

function isQuantifierAt(src: string, i: number): boolean {
  const c = src[i];
  return c === '*' || c === '+' || c === '?' || (c === '{' && /^\{\d+(,\d*)?\}/.test(src.slice(i)));
}

/** Compiles a subscription regex, or throws INVALID_REQUEST saying why it is refused. */
export function compileSubscriptionRegex(source: string): RegExp {
  if (source.length === 0) refuse(source, 'empty');
  if (source.length > MAX_REGEX_LENGTH) refuse(source, `longer than ${MAX_REGEX_LENGTH} characters`);
  // One pass over the pattern: per open group, whether it holds a quantifier or an alternation.
  const groups: { risky: boolean }[] = [];
  let inClass = false;
  for (let i = 0; i < source.length; i++) {
    const c = source[i]!;
    if (c === '\\') {
      if (/[1-9k]/.test(source[i + 1] ?? '')) refuse(source, 'backreferences are not supported');
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') inClass = true;
    else if (c === '(') {
      const rest = source.slice(i);
      if (/^\(\?<?[=!]/.test(rest)) refuse(source, 'lookahead and lookbehind are not supported');
      groups.push({ risky: false });
      const prefix = /^\(\?(?::|<[A-Za-z_$][\w$]*>)/.exec(rest);
      if (prefix !== null) i += prefix[0].length - 1;
    } else if (c === ')') {
      const g = groups.pop();
      if (g === undefined) continue; // unbalanced: RegExp reports it below
      if (g.risky && isQuantifierAt(source, i + 1)) {
        refuse(source, 'a repeated group may not contain a repetition or an alternation (it can backtrack for ever)');
      }
      if (g.risky || isQuantifierAt(source, i + 1)) for (const outer of groups) outer.risky = true;
    } else if (c === '|' || (isQuantifierAt(source, i) && i > 0)) {
      for (const outer of groups) outer.risky = true;
    }
  }
  try {
    return new RegExp(`^(?:${source})$`);
  } catch (err) {
    return refuse(source, (err as Error).message);
  }
}

/** The existing topics a subscription names or matches, sorted. */
export function resolveSubscription(
  names: readonly string[],
  regex: RegExp | null,
  topics: Readonly<Record<string, number>>,
): string[] {
  const out = new Set<string>();
  for (const name of names) if (Object.hasOwn(topics, name)) out.add(name);
  if (regex !== null) {
    for (const name of Object.keys(topics)) if (!isInternalTopic(name) && regex.test(name)) out.add(name);
  }
  return [...out].sort(compareStrings);
}
