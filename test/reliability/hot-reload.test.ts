/**
 * Model files replaced by bad ones during hot reload, while readings stream in over MQTT: a card that is not
 * JSON, an ONNX file that does not match its card's checksum, a card whose checksum matches corrupt ONNX bytes
 * (passes the checksum, fails to load), and a valid model of another input shape. Each is refused with a clear
 * error naming what is wrong, the old model keeps judging every window, and a good model is then swapped in.
 */
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { filter, firstValueFrom, timeout } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConfig } from '../../runtime/config/load.ts';
import { sha256 } from '../../runtime/model/load.ts';
import { createLogger } from '../../runtime/ops/logger.ts';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import type { ReloadOutcome } from '../../runtime/ops/reload.ts';
import { startBroker, type EmbeddedBroker } from '../../simulators/broker/aedes.ts';
import { randomDenseLayers, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';

let broker: EmbeddedBroker;
let dir: string;
beforeAll(async () => {
  broker = await startBroker();
  dir = mkdtempSync(join(tmpdir(), 'vigil-hot-'));
});
afterAll(async () => {
  await broker?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('hot reload with bad model files', () => {
  it('refuses each with a clear error, keeps the old model judging every window, then swaps in a good one', { timeout: 90_000 }, async () => {
    const live = join(dir, 'live');
    const model = writeTinyModel(live, { name: 'pump', window: 4, channels: ['a', 'b'], threshold: 100 });
    const good = { json: readFileSync(`${model}.json`, 'utf8'), onnx: readFileSync(`${model}.onnx`) };
    const logs: string[] = [];
    const handle = await startRuntime(
      defineConfig({
        model,
        broker: { url: broker.url },
        source: { topics: ['sensors/{sensor}/data'], qos: 1 },
        reload: { watch: true, debounceMs: 50 },
        metrics: { port: null },
        state: { file: null },
      }),
      { logger: createLogger('info', { write: (s: string) => void logs.push(s) }) },
    );
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'hot-pub' });
    let verdicts = 0;
    const versions = new Set<string>();
    handle.detections.subscribe(() => {
      verdicts++;
      versions.add(handle.card().version);
    });
    let ts = 1_700_000_000_000;
    const burst = async (n: number) => {
      for (let i = 0; i < n; i++) await pub.publishAsync('sensors/pump-1/data', JSON.stringify({ ts: (ts += 1000), values: { a: i, b: 1 } }), { qos: 1 });
    };
    const nextRefusal = () => firstValueFrom(handle.reloads.pipe(filter((o): o is Extract<ReloadOutcome, { kind: 'refused' }> => o.kind === 'refused'), timeout(15_000)));
    try {
      await burst(4);
      await waitFor(() => verdicts === 1, 'the first verdict', 10_000);
      const cases: { name: string; write: () => void; reason: RegExp }[] = [
        { name: 'card not JSON', write: () => writeFileSync(`${model}.json`, '{"format": "vigil-model-card", "name": '), reason: /not valid JSON/ },
        {
          name: 'ONNX bytes changed under the card',
          write: () => {
            writeFileSync(`${model}.json`, good.json);
            writeFileSync(`${model}.onnx`, good.onnx.subarray(0, good.onnx.length - 9));
          },
          reason: /sha256 .* expected .* \(file replaced or corrupt\?\)/,
        },
        {
          name: 'corrupt ONNX with a matching checksum',
          write: () => {
            const junk = Buffer.from('this is not an onnx model at all, just bytes');
            writeFileSync(`${model}.onnx`, junk);
            writeFileSync(`${model}.json`, JSON.stringify({ ...JSON.parse(good.json), version: '0.0.9', onnx: { ...JSON.parse(good.json).onnx, sha256: sha256(junk) } }));
          },
          reason: /no execution provider could run the model/,
        },
        {
          name: 'another input shape',
          write: () => {
            const other = writeTinyModel(join(dir, 'other'), { name: 'pump', window: 8, channels: ['a', 'b', 'c'], threshold: 100 });
            copyFileSync(`${other}.onnx`, `${model}.onnx`);
            copyFileSync(`${other}.json`, `${model}.json`);
          },
          reason: /window 8 x \[a, b, c\]; the running one has 4 x \[a, b\] \(restart to change the input shape\)/,
        },
      ];
      const reasons: string[] = [];
      for (const c of cases) {
        const refused = nextRefusal();
        c.write();
        const o = await refused;
        expect(o.reason, c.name).toMatch(c.reason);
        reasons.push(`${c.name}: ${o.reason}`);
        // The old model still judges every new window.
        const before = verdicts;
        await burst(3);
        await waitFor(() => verdicts === before + 3, `verdicts after '${c.name}'`, 10_000, () => ({ verdicts, before }));
        expect(handle.card().version).toBe('0.0.1');
      }
      expect(handle.edge.reloadFailures).toBeGreaterThanOrEqual(cases.length);
      const refusalLogs = logs.filter((l) => l.includes('model reload refused'));
      expect(refusalLogs.length).toBeGreaterThanOrEqual(cases.length);
      for (const l of refusalLogs) expect(JSON.parse(l)).toMatchObject({ level: 50, serving: 'pump@0.0.1' });
      // /health says the files on disk are not what serves (a probe: only a counter did).
      expect(handle.health()).toMatchObject({ status: 'ok', modelReloadRefused: { reason: expect.stringMatching(/restart to change the input shape/), agoMs: expect.any(Number) } });

      // A good new version goes live, and nothing was lost in between.
      const swapped = firstValueFrom(handle.reloads.pipe(filter((o) => o.kind === 'swapped'), timeout(15_000)));
      writeFileSync(`${model}.onnx`, good.onnx);
      writeFileSync(`${model}.json`, JSON.stringify({ ...JSON.parse(good.json), version: '0.0.2' }));
      expect(await swapped).toMatchObject({ kind: 'swapped', to: { version: '0.0.2' } });
      const before = verdicts;
      await burst(3);
      await waitFor(() => verdicts === before + 3, 'verdicts from the new model', 10_000);
      expect(handle.card().version).toBe('0.0.2');
      expect(verdicts).toBe(1 + 3 * cases.length + 3);
      expect(handle.health().modelReloadRefused).toBeUndefined();
      // A pair trained under another name and copied over these names (its card names pumpv2.onnx): served, since
      // pump.onnx beside the card is the file its sha256 names (a probe: refused, "model file not found").
      const renamed = writeTinyModel(join(dir, 'renamed'), { name: 'pumpv2', window: 4, channels: ['a', 'b'], threshold: 100 });
      const swappedAgain = firstValueFrom(handle.reloads.pipe(filter((o) => o.kind === 'swapped'), timeout(15_000)));
      copyFileSync(`${renamed}.onnx`, `${model}.onnx`);
      copyFileSync(`${renamed}.json`, `${model}.json`);
      expect(await swappedAgain).toMatchObject({ kind: 'swapped', to: { name: 'pumpv2' } });
      // A pair copied in card first (over pump.json), its ONNX file second under its own name: the card alone is
      // refused (its file is not there yet), and the file's arrival completes the reload (a probe: refused until restart).
      const third = writeTinyModel(join(dir, 'third'), { name: 'pumpv3', window: 4, channels: ['a', 'b'], layers: randomDenseLayers(4, 2, [3], 9), threshold: 100 });
      const missing = nextRefusal();
      copyFileSync(`${third}.json`, `${model}.json`);
      expect((await missing).reason).toMatch(/model file not found: .*pumpv3\.onnx/);
      const swappedThird = firstValueFrom(handle.reloads.pipe(filter((o) => o.kind === 'swapped'), timeout(15_000)));
      copyFileSync(`${third}.onnx`, join(live, 'pumpv3.onnx'));
      expect(await swappedThird).toMatchObject({ kind: 'swapped', to: { name: 'pumpv3' }, onnxPath: join(live, 'pumpv3.onnx') });
      expect(handle.counters.droppedInferenceError + handle.counters.inferenceErrors).toBe(0);
      console.log(`hot reload refusals:\n  ${reasons.join('\n  ')}`);
    } finally {
      await handle.stop();
      await pub.endAsync();
    }
  });

  it('a card copied in first and its ONNX file second as NAME.onnx goes live, whatever file served before (a review)', { timeout: 60_000 }, async () => {
    // Serving pumpv2.onnx under pump.json (the card names its own file, present beside it).
    const live = join(dir, 'beside');
    const v2 = writeTinyModel(join(dir, 'beside-v2'), { name: 'pumpv2', window: 4, channels: ['a', 'b'], threshold: 100 });
    const model = writeTinyModel(live, { name: 'pump', window: 4, channels: ['a', 'b'], threshold: 100 });
    copyFileSync(`${v2}.json`, `${model}.json`);
    copyFileSync(`${v2}.onnx`, join(live, 'pumpv2.onnx'));
    rmSync(`${model}.onnx`);
    const handle = await startRuntime(
      defineConfig({ model, broker: { url: broker.url }, source: { topics: ['beside/{sensor}/data'] }, reload: { watch: true, debounceMs: 50 }, metrics: { port: null }, state: { file: null } }),
      { logger: createLogger('silent') },
    );
    try {
      expect(handle.card().name).toBe('pumpv2');
      const v3 = writeTinyModel(join(dir, 'beside-v3'), { name: 'pumpv3', window: 4, channels: ['a', 'b'], layers: randomDenseLayers(4, 2, [3], 11), threshold: 100 });
      const refused = firstValueFrom(handle.reloads.pipe(filter((o) => o.kind === 'refused'), timeout(15_000)));
      copyFileSync(`${v3}.json`, `${model}.json`);
      expect(await refused).toMatchObject({ reason: expect.stringMatching(/model file not found: .*pumpv3\.onnx.*pump\.onnx is not there either/) });
      const swapped = firstValueFrom(handle.reloads.pipe(filter((o) => o.kind === 'swapped'), timeout(15_000)));
      copyFileSync(`${v3}.onnx`, `${model}.onnx`);
      expect(await swapped).toMatchObject({ kind: 'swapped', to: { name: 'pumpv3' }, onnxPath: `${model}.onnx` });
    } finally {
      await handle.stop();
    }
  });
});
