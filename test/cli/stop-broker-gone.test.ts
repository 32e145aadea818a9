/**
 * A SIGTERM while the broker goes away too (a site shut down at once, a broker stopped with its gateway) still ends
 * `vigil run`, and says so: mqtt.js waits for the acknowledgements of what is in flight forever, and the stop
 * never ended (a test's leaked processes found it; before, the process exited 13 without its "stopped" line).
 */
import { describe, expect, it } from 'vitest';
import { startBroker } from '../../simulators/broker/aedes.ts';
import { spawnVigilRun, untilStarted } from '../ops/vigil-run.ts';

describe('vigil run stopped as its broker goes away', () => {
  it('exits 0 with its last log line', async () => {
    const broker = await startBroker();
    // No state file: nothing slows the stop down before the broker part, which finds the client still connected.
    const vigil = spawnVigilRun(['--model', 'models/machine_temperature', '--broker', broker.url, '--topic', 'gone/{sensor}/data', '--qos', '1', '--state', 'off', '--metrics-port', '0']);
    try {
      await untilStarted(vigil);
      vigil.proc.kill('SIGTERM');
      await broker.close();
      const code = await Promise.race([vigil.exit, new Promise((r) => setTimeout(() => r('still running'), 15_000))]);
      expect(code).toBe(0);
      expect(vigil.stderr).toContain('"msg":"stopped"');
    } finally {
      if (!vigil.exited) vigil.proc.kill('SIGKILL');
      await broker.close();
    }
  }, 60_000);
});
