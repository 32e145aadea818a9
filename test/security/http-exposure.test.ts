/**
 * A server bound beyond loopback without http.token is said at start: /metrics of a runtime on 0.0.0.0 with no token
 * logs a warning naming the host, the port and VIGIL_HTTP_TOKEN; with a token, or on loopback, nothing is said.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isLoopback, warnIfOpen } from '../../runtime/ops/http-exposure.ts';
import { parseConfig } from '../../runtime/config/load.ts';
import { createLogger } from '../../runtime/ops/logger.ts';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { startBroker } from '../../simulators/broker/aedes.ts';
import { meanLayer, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';

const TOKEN = 'c0ffee-0123456789abcdef';

describe('open HTTP servers', () => {
  it('tells loopback from addresses others reach', () => {
    for (const h of ['127.0.0.1', '127.0.1.1', '::1', '[::1]', 'localhost', 'LOCALHOST']) expect(isLoopback(h), h).toBe(true);
    for (const h of ['0.0.0.0', '::', '192.168.1.20', 'gw.plant.example', '127.0.0.1.nip.io']) expect(isLoopback(h), h).toBe(false);
  });

  it('warns for a server beyond loopback without a token, and only then', () => {
    const said: string[] = [];
    const log = { warn: (_: object, msg: string) => void said.push(msg) };
    warnIfOpen(log, 'dashboard', '0.0.0.0', 8080, undefined);
    warnIfOpen(log, 'dashboard', '0.0.0.0', 8080, TOKEN);
    warnIfOpen(log, 'metrics', '127.0.0.1', 9464, undefined);
    expect(said).toEqual([expect.stringMatching(/^dashboard\.host is 0\.0\.0\.0 and http\.token is not set: the dashboard .* port 8080; set VIGIL_HTTP_TOKEN/)]);
  });

  it('vigil run with metrics on 0.0.0.0 says so at start unless a token is set', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-exposure-'));
    const model = writeTinyModel(dir, { name: 'm', window: 4, channels: ['a'], layers: [meanLayer(4, 1)], scaler: { kind: 'standard', offset: [0], scale: [1] }, threshold: 5 });
    const broker = await startBroker();
    try {
      const warnings = async (http: object) => {
        const lines: string[] = [];
        const h = await startRuntime(
          parseConfig({ model, broker: { url: broker.url }, source: { topics: ['s/+/d'] }, metrics: { port: 0, host: '0.0.0.0' }, state: { file: null }, http }),
          { logger: createLogger('warn', { write: (l: string) => void lines.push(l) }) },
        );
        await h.stop();
        return lines.filter((l) => l.includes('http.token is not set'));
      };
      const open = await warnings({});
      expect(open).toHaveLength(1);
      expect(open[0]).toMatch(/metrics\.host is 0\.0\.0\.0 .*\/metrics is open to anyone who reaches port \d+/);
      expect(await warnings({ token: TOKEN })).toEqual([]);
    } finally {
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
