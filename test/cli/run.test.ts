/**
 * `vigil run` as a person runs it: a real process on Mosquitto, its banner, a SIGHUP shrugged off, an alert on the
 * alert topic, and a graceful SIGTERM (drain, state saved, exit code 0).
 */
import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { injectSpike, readingJson, recordedModel, recordedSeries, recordedStd, uniquePrefix } from '../ops/harness.ts';
import { spawnVigilRun, untilStarted } from '../ops/vigil-run.ts';

const MOSQUITTO = 'mqtt://127.0.0.1:1883';

describe('vigil run (the command)', () => {
  it('prints its banner, alerts, and on SIGTERM drains, saves state and exits 0', async () => {
    const prefix = uniquePrefix('cli');
    const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-'));
    const state = join(dir, 'state.json');
    const model = recordedModel(dir);
    const sub = await mqtt.connectAsync(MOSQUITTO);
    await sub.subscribeAsync('vigil/alerts/+', { qos: 1 });
    const vigil = spawnVigilRun(['--model', model, '--broker', MOSQUITTO, '--topic', `${prefix}/{sensor}/data`, '--qos', '1', '--state', state, '--metrics-port', '0', '--providers', 'cpu']);
    try {
      await untilStarted(vigil);
      const { stdout } = vigil;
      expect(stdout).toContain('vigil run  daily@0.0.1  window 16 x 1 [value]');
      expect(stdout).toContain(`topics     ${prefix}/{sensor}/data  (json, QoS 1)`);
      expect(stdout).toContain('provider   ort-node/cpu');
      expect(stdout).toMatch(/ops {8}http:\/\/127\.0\.0\.1:\d+\/metrics/);
      // SIGHUP (a closed SSH session) is no stop: Node's default would kill it on the spot, unsaved (a probe: exit 129).
      vigil.proc.kill('SIGHUP');
      for (let i = 0; i < 50 && !vigil.stderr.includes('SIGHUP ignored'); i++) await new Promise((r) => setTimeout(r, 20));
      expect(vigil.stderr).toContain('SIGHUP ignored: vigil keeps running');
      // Every stderr line is a JSON log line, the signal's included (log shippers parse each line).
      const lines = () => vigil.stderr.split('\n').filter((l) => l.trim() !== '');
      expect(lines().filter((l) => l.includes('SIGHUP')).map((l) => JSON.parse(l))).toMatchObject([{ level: 40, event: 'signal', msg: expect.stringContaining('SIGHUP ignored') }]);
      expect(vigil.proc.exitCode).toBeNull();

      // The default alert topic (vigil/alerts/{sensor}) is shared on Mosquitto: a sensor id no other run uses.
      const sensor = `pump-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
      const alert = new Promise<Record<string, unknown>>((resolve) =>
        sub.on('message', (topic, payload) => {
          if (topic === `vigil/alerts/${sensor}`) resolve(JSON.parse(payload.toString()));
        }),
      );
      const pub = await mqtt.connectAsync(MOSQUITTO);
      const rec = recordedSeries(40, 1200);
      const values = injectSpike(rec.values, 30, 6 * recordedStd());
      for (let i = 0; i < rec.ts.length; i++) await pub.publishAsync(`${prefix}/${sensor}/data`, readingJson(rec.ts[i], values[i]), { qos: 1 });
      await pub.endAsync();
      expect(await alert).toMatchObject({ type: 'open', sensor, tsLast: rec.ts[30] });

      vigil.proc.kill('SIGTERM');
      expect(await vigil.exit).toBe(0);
      expect(vigil.stderr).toContain('SIGTERM: stopping intake, draining, saving state');
      expect(vigil.stderr).toContain('"msg":"stopped"');
      for (const line of lines()) expect(() => JSON.parse(line), line).not.toThrow();
      expect(existsSync(state)).toBe(true);
      expect(JSON.parse(readFileSync(state, 'utf8').split('\n')[0])).toMatchObject({ format: 'vigil-threshold-state', sensors: 1 });
    } finally {
      if (!vigil.exited) vigil.proc.kill('SIGKILL');
      await sub.endAsync();
    }
  });
});
