/** Plain-text output helpers: left-aligned columns separated by two spaces, no trailing blanks. */

export function table(header: string[], rows: Array<Array<string | number>>, indent = ''): string {
  const cells = [header, ...rows.map((r) => r.map(String))];
  const widths = header.map((_, col) => Math.max(...cells.map((r) => (r[col] ?? '').length)));
  return cells
    .map((r) => indent + r.map((c, col) => (col === r.length - 1 ? c : c.padEnd(widths[col]!))).join('  '))
    .join('\n')
    .concat('\n');
}

/** Writes to stdout, waiting for the pipe to drain when its buffer is full. */
export function writeOut(text: string): Promise<void> | undefined {
  if (process.stdout.write(text)) return undefined;
  return new Promise((resolve) => process.stdout.once('drain', resolve));
}
