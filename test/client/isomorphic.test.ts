import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Fixture, startBroker } from './fixture.js';

const here = dirname(fileURLToPath(import.meta.url));
const clientEntry = resolve(here, '../../src/client/index.js');

/** Every module the SDK entry loads statically, with the bare specifiers each imports. */
function importGraph(entry: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const todo = [entry];
  while (todo.length > 0) {
    const file = todo.pop()!;
    if (out.has(file)) continue;
    const source = readFileSync(file, 'utf8');
    const specifiers = [...source.matchAll(/^(?:import|export)\s[^;]*?from\s+'([^']+)'/gms)].map((m) => m[1]!);
    out.set(
      file,
      specifiers.filter((s) => !s.startsWith('.')),
    );
    for (const s of specifiers) if (s.startsWith('.')) todo.push(resolve(dirname(file), s));
  }
  return out;
}

describe('isomorphic SDK', () => {
  it('loads no Node module, no log or broker code, and no native addon', () => {
    const graph = importGraph(clientEntry);
    assert.ok(graph.size > 10);
    for (const [file, bare] of graph) {
      assert.ok(!/\/src\/(log|broker|cli)\//.test(file), `${file} is outside the SDK's layers`);
      for (const s of bare) assert.ok(['msgpackr', 'fflate'].includes(s), `${file} imports '${s}'`);
      const source = readFileSync(file, 'utf8');
      const dynamic = [...source.matchAll(/import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1]);
      if (dynamic.length > 0) {
        assert.match(file, /\/client\/transport\.js$/);
        assert.deepEqual(dynamic, ['ws'], 'only the Node transport is loaded dynamically');
      }
      // The one other dynamic import: the native addon, for its CRC, by the Node transport only,
      // through a variable so bundlers leave it alone.
      const variable = [...source.matchAll(/import\(\s*([A-Z_]+)\s*\)/g)].map((m) => m[1]);
      if (variable.length > 0) {
        assert.match(file, /\/client\/transport\.js$/);
        assert.deepEqual(variable, ['NATIVE_ADDON_MODULE']);
      }
    }
  });

  describe('against a real broker', () => {
    let f: Fixture;
    before(async () => {
      f = await startBroker();
    });
    after(() => f.stop());

    /** Runs `script` as an ES module in a fresh Node (standard WebSocket on) and parses its last line of output. */
    const runModule = <T>(script: string): Promise<T> =>
      new Promise<T>((ok, fail) =>
        execFile(
          process.execPath,
          ['--experimental-websocket', '--no-warnings', '--input-type=module', '-e', script, f.address],
          { timeout: 20_000 },
          (err, out, errOut) =>
            err ? fail(new Error(`${err.message}\n${errOut}`)) : ok(JSON.parse(out.trim().split('\n').at(-1)!)),
        ),
      );

    it('the Node transport loads the native CRC; the standard WebSocket path does not', async () => {
      const script = (factory: string) => `
        import { Rivulet, ${factory} } from ${JSON.stringify(clientEntry)};
        import { crc32cAccelerated } from ${JSON.stringify(resolve(here, '../../src/protocol/crc32c.js'))};
        const before = crc32cAccelerated();
        const client = new Rivulet({ brokers: [process.argv[1]], socketFactory: ${factory} });
        const sent = await client.producer().send({ topic: 'crc-${factory}', messages: [{ value: 'x'.repeat(4000) }] });
        const got = [];
        const consumer = client.consumer({ maxWaitMs: 50 });
        consumer.assign([{ topic: 'crc-${factory}', partition: 0, offset: 'earliest' }]);
        for await (const batch of consumer) {
          for (const m of batch.messages) got.push(m.value.length);
          if (got.length >= 1) break;
        }
        await client.close();
        console.log(JSON.stringify({ before, after: crc32cAccelerated(), offsets: sent.map((r) => r.offset), got }));
      `;
      type Run = { before: boolean; after: boolean; offsets: number[]; got: number[] };
      const node = await runModule<Run>(script('nodeSocketFactory'));
      assert.equal(node.before, false);
      assert.equal(node.after, true, 'native CRC after the first connection');
      assert.deepEqual(node.got, [4000], 'a record encoded and checked with the native CRC round-trips');
      const web = await runModule<Run>(script('standardSocketFactory'));
      assert.equal(web.after, false, 'the browser path stays on the TypeScript CRC');
      assert.deepEqual(web.got, [4000]);
    });

    it('produces and consumes with standardSocketFactory (as in a browser)', async () => {
      const script = `
        import { Rivulet, standardSocketFactory } from ${JSON.stringify(clientEntry)};
        const client = new Rivulet({ brokers: [process.argv[1]], socketFactory: standardSocketFactory });
        const producer = client.producer({ compression: 'gzip' });
        const sent = await producer.send({ topic: 'web', messages: [{ key: 'k', value: 'hello' }, { value: 'world' }] });
        const consumer = client.consumer({ maxWaitMs: 50 });
        consumer.assign([{ topic: 'web', partition: 0, offset: 'earliest' }]);
        const got = [];
        for await (const batch of consumer) {
          for (const m of batch.messages) got.push([m.offset, m.key && m.key.toString(), m.value.toString()]);
          if (got.length >= 2) break;
        }
        await client.close();
        console.log(JSON.stringify({ sent, got, ws: typeof globalThis.WebSocket }));
      `;
      const result = await runModule<{ sent: Array<{ offset: number }>; got: unknown[]; ws: string }>(script);
      assert.equal(result.ws, 'function');
      assert.deepEqual(
        result.sent.map((r) => r.offset),
        [0, 1],
      );
      assert.deepEqual(result.got, [
        [0, 'k', 'hello'],
        [1, null, 'world'],
      ]);
    });
  });
});
