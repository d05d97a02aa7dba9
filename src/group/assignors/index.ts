/** The server-side assignors by name. A group uses the one most of its members ask for. */
import type { Assignor } from './common.js';
import { RangeAssignor } from './range.js';
import { RoundRobinAssignor } from './roundrobin.js';
import { StickyAssignor } from './sticky.js';

export const DEFAULT_ASSIGNOR = 'sticky';

export const ASSIGNORS: ReadonlyMap<string, Assignor> = new Map(
  [StickyAssignor, RangeAssignor, RoundRobinAssignor].map((a) => [a.name, a]),
);

export function getAssignor(name: string): Assignor | undefined {
  return ASSIGNORS.get(name);
}

export * from './common.js';
export { RangeAssignor, rangeAssign } from './range.js';
export { RoundRobinAssignor, roundRobinAssign } from './roundrobin.js';
export { StickyAssignor, stickyAssign } from './sticky.js';
