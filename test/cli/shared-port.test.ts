/**
 * `vigil run` with the dashboard on metrics.port (runtime/cli/run.ts). A probe set both to one port: vigil connected to
 * the broker, served /metrics there, then stopped saying "dashboard port 19359 is in use" (by itself), and the operator
 * looks for another process holding it. Said as such before anything starts.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { freePort } from '@vigil/fixtures/ports.ts';

describe('vigil run with the dashboard on the metrics port', () => {
  it('stops at once naming both keys, before the broker is tried', { timeout: 30_000 }, async () => {
    const port = String(await freePort());
    const t0 = performance.now();
    const r = spawnSync(process.execPath, ['bin/vigil.mjs', 'run', '--model', 'models/machine_temperature', '--broker', 'mqtt://127.0.0.1:1', '--topic', 'shared-port/+/d', '--metrics-port', port, '--dashboard', port, '--state', 'off'], { encoding: 'utf8', timeout: 25_000 });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`dashboard\\.port ${port} is metrics\\.port too \\(/metrics and /health are served there\\); give the dashboard a port of its own`));
    expect(r.stderr).not.toMatch(/could not connect to the broker/);
    // Not after the broker's connect timeout (10 s).
    expect(performance.now() - t0).toBeLessThan(9000);
  });
});
