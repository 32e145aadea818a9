/**
 * onShutdownSignals' launcher watch (runtime/ops/shutdown.ts): started through npm, vigil stops as on SIGTERM once its
 * parent process is gone, once, and not when it is already stopping or when not asked to watch.
 */
import { describe, expect, it } from 'vitest';
import { onShutdownSignals } from '../../runtime/ops/shutdown.ts';

const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The stops asked for when the parent process (4242 at the start) goes, with `opts` besides. */
async function stopsAfterParentGoes(opts: Parameters<typeof onShutdownSignals>[1]): Promise<string[]> {
  let parent = 4242;
  const stops: string[] = [];
  const dispose = onShutdownSignals(async (s) => void stops.push(s), { parentPid: () => parent, launcherCheckMs: 5, ...opts });
  try {
    parent = 1;
    await tick(40);
    return stops;
  } finally {
    dispose();
  }
}

describe('launcher watch', () => {
  it('stops once when the parent process id changes', async () => {
    let parent = 4242;
    const stops: string[] = [];
    const lines: string[] = [];
    const dispose = onShutdownSignals(async (s) => void stops.push(s), { watchLauncher: true, parentPid: () => parent, launcherCheckMs: 5, log: (m) => lines.push(m), forceExit: () => stops.push('forced') });
    try {
      await tick(30);
      expect(stops).toEqual([]);
      parent = 1;
      await tick(30);
      parent = 7;
      await tick(30);
      expect(stops).toEqual(['SIGTERM']);
      expect(lines.join('\n')).toMatch(/launcher \(parent process 4242, started by npm\) is gone: stopping as on SIGTERM/);
    } finally {
      dispose();
    }
  });

  it('does not watch unless asked', async () => {
    expect(await stopsAfterParentGoes({ watchLauncher: false })).toEqual([]);
  });

  it('leaves a stop already under way alone (no forced exit)', async () => {
    let parent = 4242;
    const stops: string[] = [];
    const dispose = onShutdownSignals(() => new Promise<void>(() => void stops.push('stop')), { watchLauncher: true, parentPid: () => parent, launcherCheckMs: 5, forceExit: (c) => stops.push(`forced ${c}`) });
    try {
      process.emit('SIGTERM', 'SIGTERM');
      parent = 1;
      await tick(40);
      expect(stops).toEqual(['stop']);
    } finally {
      dispose();
    }
  });

  it('stops when the launcher was already gone before the watch was set up (a review: npm stopped while the model loaded)', async () => {
    const stops: string[] = [];
    const dispose = onShutdownSignals(async (s) => void stops.push(s), { watchLauncher: true, launcher: { pid: 4242, background: false }, parentPid: () => 1, launcherCheckMs: 5 });
    try {
      await tick(40);
      expect(stops).toEqual(['SIGTERM']);
    } finally {
      dispose();
    }
  });

  it('leaves a vigil its npm script put in the background alone (`vigil run ... &`: meant to outlive the script)', async () => {
    const was = process.env.npm_command;
    process.env.npm_command = 'run-script';
    try {
      expect(await stopsAfterParentGoes({ launcher: { pid: 4242, background: true } })).toEqual([]);
    } finally {
      if (was === undefined) delete process.env.npm_command;
      else process.env.npm_command = was;
    }
  });
});
