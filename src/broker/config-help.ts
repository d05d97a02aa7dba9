/** `rivulet broker --help`, written from the settings table (src/broker/config.ts). */
import { BROKER_SETTINGS, envName } from './config.js';

export function brokerHelp(): string {
  const lines = [
    'Usage: rivulet broker [options]',
    '',
    'Starts a Rivulet broker: ws://host:port/v1 (binary msgpack frames), GET /healthz, GET /metrics.',
    '',
    'Options (precedence: flag > RIVULET_* environment variable > --config file > default):',
  ];
  for (const s of BROKER_SETTINGS) {
    const arg =
      s.kind === 'bool'
        ? `--${s.name} / --no-${s.name}`
        : `--${s.name} <${s.kind === 'flush' ? 'policy' : s.kind.replace('?', '')}>`;
    const def = s.default === null ? 'unset' : JSON.stringify(s.default);
    lines.push(`  ${arg}`);
    lines.push(`      ${s.description}`);
    lines.push(`      default ${def}, env ${envName(s)}`);
  }
  lines.push('  -h, --help');
  lines.push('      print this help');
  return `${lines.join('\n')}\n`;
}
