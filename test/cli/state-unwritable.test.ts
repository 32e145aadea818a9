/**
 * `vigil run` started in a folder it cannot write, with the default state file (`vigil-state.json`, relative): it runs
 * on, says once at the start where the state file is (absolute) and what to do, keeps /health degraded saying so, and a
 * SIGTERM still stops it cleanly (exit 0), never a crash. The folder is made read-only for real: by its mode, or,
 * where the tests run as root (whom a mode does not stop), by a read-only bind mount in a mount namespace of its own.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { recordedModel, uniquePrefix } from '../ops/harness.ts';
import { spawnVigilRun, untilStarted } from '../ops/vigil-run.ts';

const MOSQUITTO = 'mqtt://127.0.0.1:1883';
const repo = fileURLToPath(new URL('../..', import.meta.url));

/** A read-only folder and the launcher that starts `node bin/vigil.mjs` in it; undefined where none can be made. */
function readOnlyFolder(): { dir: string; launcher: string[] } | undefined {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-ro-cwd-'));
  const vigil = `exec ${JSON.stringify(process.execPath)} ${JSON.stringify(join(repo, 'bin/vigil.mjs'))} "$@"`;
  if (process.getuid?.() !== 0) {
    chmodSync(dir, 0o555);
    return { dir, launcher: ['sh', '-c', `cd ${JSON.stringify(dir)} && ${vigil}`, 'sh'] };
  }
  const ro = `mount --bind ${JSON.stringify(dir)} ${JSON.stringify(dir)} && mount -o remount,bind,ro ${JSON.stringify(dir)} && cd ${JSON.stringify(dir)}`;
  const probe = spawnSync('unshare', ['-m', 'sh', '-c', `${ro} && ! touch probe 2>/dev/null`]);
  return probe.status === 0 ? { dir, launcher: ['unshare', '-m', 'sh', '-c', `${ro} && ${vigil}`, 'sh'] } : undefined;
}

const folder = readOnlyFolder();

describe('vigil run in a folder it cannot write', () => {
  it.skipIf(!folder)('runs on, says where the state file is and how to move it, /health degraded, exits 0 on SIGTERM', async () => {
    const { dir, launcher } = folder!;
    const model = recordedModel(mkdtempSync(join(tmpdir(), 'vigil-ro-model-')));
    const vigil = spawnVigilRun(['--model', model, '--broker', MOSQUITTO, '--topic', `${uniquePrefix('ro-cwd')}/{sensor}/data`, '--metrics-port', '0', '--dashboard', '0', '--providers', 'cpu'], { launcher });
    try {
      await untilStarted(vigil);
      const state = join(dir, 'vigil-state.json');
      expect(vigil.stdout).toContain(`state      ${state} (every 60 s and on exit; --state FILE or off)`);
      const ops = /ops {8}(http:\/\/127\.0\.0\.1:\d+)\/metrics/.exec(vigil.stdout)![1];
      // The first save is tried at the start: /health says so from then on.
      let health: Record<string, unknown> = {};
      for (let i = 0; i < 100 && typeof health.stateNotSaved !== 'string'; i++) {
        if (i) await new Promise((r) => setTimeout(r, 100));
        health = (await (await fetch(`${ops}/health`)).json()) as Record<string, unknown>;
      }
      expect(health.status).toBe('degraded');
      expect(health.stateNotSaved).toMatch(new RegExp(`^E[A-Z]+: .*\\(state file ${state}: state\\.file \\(--state FILE\\) must name a file in a folder vigil can write`));
      const logged = () => vigil.stderr.split('\n').filter((l) => l.startsWith('{')).map((l) => JSON.parse(l) as Record<string, unknown>);
      const notSaved = logged().filter((l) => l.msg === 'threshold state not saved');
      expect(notSaved).toEqual([expect.objectContaining({ level: 50, file: 'vigil-state.json', path: state, fix: expect.stringContaining('--state off keeps no state') })]);
      // Said once, not once by the start's check and again by the runtime.
      expect(logged().filter((l) => l.msg === 'state file lock not taken: a second vigil on this state file would not be stopped')).toHaveLength(1);
      vigil.proc.kill('SIGTERM');
      expect(await vigil.exit).toBe(0);
    } finally {
      if (!vigil.exited) vigil.proc.kill('SIGKILL');
      await vigil.exit;
    }
  });
});
