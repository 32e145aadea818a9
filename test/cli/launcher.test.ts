/**
 * `npx vigil run` stopped by a supervisor that signals the command it started: npm runs vigil through `sh -c`, and
 * Debian's sh passes no signal on, so a SIGTERM to npm used to end npm and the shell and leave vigil running on its
 * own (a probe), holding its state lock and broker session. Now vigil notices its launcher is gone and stops as on
 * SIGTERM: drains, saves state, exits.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { recordedModel, uniquePrefix } from '../ops/harness.ts';
import { spawnVigilRun, untilStarted } from '../ops/vigil-run.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('vigil run started through npx', () => {
  it('stops, saving its state, when npm is stopped with SIGTERM', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-npx-'));
    const state = join(dir, 'state.json');
    const npx = spawnVigilRun(['--model', recordedModel(dir), '--broker', 'mqtt://127.0.0.1:1883', '--topic', `${uniquePrefix('npx')}/{sensor}/data`, '--state', state, '--metrics-port', '0', '--providers', 'cpu'], { launcher: ['npx', '--offline', 'vigil'] });
    let pid = 0;
    try {
      await untilStarted(npx, 'npx vigil run to start', 60_000);
      // vigil's own pid, from its log lines (npm's is npx.proc.pid; a shell sits between them).
      pid = Number(/"pid":(\d+)/.exec(npx.stderr)?.[1]);
      expect(pid).toBeGreaterThan(0);
      expect(pid).not.toBe(npx.proc.pid);
      await waitFor(() => { try { return statSync(state).size > 0; } catch { return false; } }, 'the first state save', 10_000);
      const before = statSync(state).mtimeMs;
      npx.proc.kill('SIGTERM');
      await npx.exit;
      await waitFor(() => !alive(pid), 'vigil to stop after its launcher', 15_000, () => npx.out.slice(-600));
      await npx.clearStatus();
      expect(statSync(state).mtimeMs).toBeGreaterThan(before);
      expect(npx.stderr).toMatch(/its launcher \(parent process \d+, started by npm\) is gone: stopping as on SIGTERM/);
    } finally {
      if (pid && alive(pid)) process.kill(pid, 'SIGKILL');
      if (npx.proc.exitCode === null) npx.proc.kill('SIGKILL');
    }
  }, 100_000);
});
