/**
 * What the tests that kill and restart `vigil run` share: a temp folder and an embedded broker for the file's
 * tests, and the `vigil run` processes they start; after the tests every process still running is killed
 * (SIGKILL), the broker closed and the folder removed.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startBroker, type EmbeddedBroker } from '../../../simulators/broker/aedes.ts';
import { spawnVigilRun, type VigilRun } from '../../ops/vigil-run.ts';

/** The folder and broker (set before the tests run) and a starter of `vigil run --config CONFIG`. */
export interface RestartRig {
  dir: string;
  broker: EmbeddedBroker;
  startVigil(config: string): VigilRun;
}

/** Register the rig's set-up and tear-down for this test file; `prefix` names its temp folder. */
export function restartRig(prefix: string): RestartRig {
  const children: ChildProcess[] = [];
  const rig = {
    startVigil(config: string) {
      const v = spawnVigilRun(['--config', config]);
      children.push(v.proc);
      return v;
    },
  } as RestartRig;
  beforeAll(async () => {
    rig.dir = mkdtempSync(join(tmpdir(), prefix));
    rig.broker = await startBroker();
  });
  afterAll(async () => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    await rig.broker?.close();
    if (rig.dir) rmSync(rig.dir, { recursive: true, force: true });
  });
  return rig;
}
