import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BROKER_SETTINGS, DEFAULT_BROKER_CONFIG, parseBrokerArgs, parseFlushPolicy } from '../../src/broker/config.js';
import { brokerHelp } from '../../src/broker/config-help.js';
import { RivuletError } from '../../src/errors.js';

const made: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'rivulet-config-'));
  made.push(dir);
  return dir;
};
after(() => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

function configOf(argv: string[], env: Record<string, string> = {}) {
  const parsed = parseBrokerArgs(argv, env);
  assert.equal(parsed.help, false);
  if (parsed.help) throw new Error('unreachable');
  return parsed.config;
}

function invalidArgument(fn: () => unknown, pattern: RegExp): void {
  assert.throws(
    fn,
    (err: unknown) => err instanceof RivuletError && err.code === 'INVALID_ARGUMENT' && pattern.test(err.message),
  );
}

describe('broker config', () => {
  it('defaults: port 9080 on loopback, ./rivulet-data, flush ack, auto-create on, 1 partition', () => {
    const c = configOf([]);
    assert.equal(c.port, 9080);
    assert.equal(c.host, '127.0.0.1');
    assert.equal(c.dataDir, './rivulet-data');
    assert.equal(c.flush, 'ack');
    assert.equal(c.autoCreateTopics, true);
    assert.equal(c.numPartitions, 1);
    assert.equal(c.retentionMs, null);
    assert.deepEqual(c, { ...DEFAULT_BROKER_CONFIG });
  });

  it('precedence: flag > RIVULET_* env > config file > default', () => {
    const dir = tempDir();
    const file = join(dir, 'broker.json');
    writeFileSync(file, JSON.stringify({ port: 1111, 'data-dir': '/from/file', 'num-partitions': 3, host: '0.0.0.0' }));
    const env = { RIVULET_CONFIG: file, RIVULET_PORT: '2222', RIVULET_DATA_DIR: '/from/env' };
    const c = configOf(['--port', '3333'], env);
    assert.equal(c.port, 3333, 'flag wins over env and file');
    assert.equal(c.dataDir, '/from/env', 'env wins over file');
    assert.equal(c.numPartitions, 3, 'file wins over default');
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.maxConnections, DEFAULT_BROKER_CONFIG.maxConnections, 'default when nothing sets it');
    assert.equal(c.config, file);
  });

  it('--name=value, --flag and --no-flag forms', () => {
    assert.equal(configOf(['--no-auto-create-topics']).autoCreateTopics, false);
    assert.equal(configOf(['--auto-create-topics=false']).autoCreateTopics, false);
    assert.equal(configOf(['--auto-create-topics']).autoCreateTopics, true);
    assert.equal(configOf(['--flush=interval:50']).flush, 'interval:50');
    assert.equal(configOf(['--retention-ms', '-1']).retentionMs, -1);
    assert.equal(configOf([], { RIVULET_AUTO_CREATE_TOPICS: 'false' }).autoCreateTopics, false);
  });

  it('-h and --help ask for help', () => {
    assert.deepEqual(parseBrokerArgs(['--port', '1', '--help'], {}), { help: true });
    assert.deepEqual(parseBrokerArgs(['-h'], {}), { help: true });
  });

  it('help lists every setting with its env variable and default', () => {
    const help = brokerHelp();
    for (const s of BROKER_SETTINGS) {
      assert.match(help, new RegExp(`--${s.name}\\b`));
      assert.match(help, new RegExp(`RIVULET_${s.name.toUpperCase().replace(/-/g, '_')}\\b`));
    }
    assert.match(help, /--host 0\.0\.0\.0 to expose/);
  });

  it('refuses unknown options, missing values, bad types and bad flush policies', () => {
    invalidArgument(() => parseBrokerArgs(['--nope'], {}), /unknown option --nope/);
    invalidArgument(() => parseBrokerArgs(['--port'], {}), /--port needs a value/);
    invalidArgument(() => parseBrokerArgs(['--port', 'abc'], {}), /port .* must be an integer/);
    invalidArgument(() => parseBrokerArgs(['--port', '70000'], {}), /at most 65535/);
    invalidArgument(() => parseBrokerArgs(['--flush', 'sometimes'], {}), /flush must be/);
    invalidArgument(() => parseBrokerArgs(['--flush', 'interval:0'], {}), /flush must be/);
    invalidArgument(() => parseBrokerArgs([], { RIVULET_NUM_PARTITIONS: '0' }), /RIVULET_NUM_PARTITIONS.*at least 1/);
    invalidArgument(() => parseBrokerArgs(['--idle-timeout', '3'], {}), /idle-timeout/);
    invalidArgument(() => parseBrokerArgs(['--segment-bytes', '10'], {}), /segment.bytes/);
    invalidArgument(
      () => parseBrokerArgs(['--max-frame-bytes', '2048'], {}),
      /max-frame-bytes .* must be at least max-message-bytes/,
    );
    invalidArgument(() => parseBrokerArgs(['positional'], {}), /unexpected argument/);
  });

  it('refuses a config file that is missing, not JSON, or names unknown settings', () => {
    const dir = tempDir();
    invalidArgument(() => parseBrokerArgs(['--config', join(dir, 'missing.json')], {}), /cannot read config file/);
    const notJson = join(dir, 'bad.json');
    writeFileSync(notJson, '{ port: 1');
    invalidArgument(() => parseBrokerArgs(['--config', notJson], {}), /not valid JSON/);
    const unknown = join(dir, 'unknown.json');
    writeFileSync(unknown, JSON.stringify({ colour: 'blue' }));
    invalidArgument(() => parseBrokerArgs(['--config', unknown], {}), /unknown setting "colour"/);
    const camel = join(dir, 'camel.json');
    writeFileSync(camel, JSON.stringify({ dataDir: '/camel', maxConnections: 7 }));
    const c = configOf(['--config', camel]);
    assert.equal(c.dataDir, '/camel');
    assert.equal(c.maxConnections, 7);
  });

  it('parses flush policies', () => {
    assert.deepEqual(parseFlushPolicy('ack'), { mode: 'ack' });
    assert.deepEqual(parseFlushPolicy('os'), { mode: 'os' });
    assert.deepEqual(parseFlushPolicy('interval:250'), { mode: 'interval', intervalMs: 250 });
  });
});
