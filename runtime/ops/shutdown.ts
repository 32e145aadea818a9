/**
 * Graceful shutdown on SIGINT/SIGTERM: the first signal runs the stop sequence once (the caller learns it
 * finished through its own handle); a second one while it runs exits at once (Ctrl-C twice means it).
 * SIGHUP is no stop: Node's default for it is to die on the spot (a probe: exit 129, no log line, no drain, no state
 * saved, and systemd's Restart=on-failure takes a SIGHUP death for a clean exit and leaves the gateway down). It comes
 * from a closed terminal (an SSH session ended) or from someone expecting a reload: it is logged and ignored; the model
 * files are reloaded when they change anyway, and a config change needs a restart. The writes that fail on a closed
 * terminal (EIO) are let go by bin/vigil.mjs.
 *
 * Started through npm (`npx vigil run`, `npm exec`, a package script), vigil is not npm's child but a shell's
 * (`sh -c vigil ...`), and Debian's sh passes no signal on: a SIGTERM to npm (a supervisor stopping the command it
 * started) ended npm and the shell and left vigil running on its own, holding its state lock and broker session, so
 * the next start refused to run (a probe). So when npm started it, vigil also stops, as on SIGTERM, once its parent
 * process is gone (its parent process id changes: the orphan was taken over by init or a subreaper).
 */

/** Install signal handlers; returns a function that removes them. */
export function onShutdownSignals(
  stop: (signal: string) => Promise<void>,
  opts: {
    forceExit?: (code: number) => void;
    log?: (msg: string) => void;
    /** Watch the parent process (default: when npm started vigil, `npm_command` in the environment). */
    watchLauncher?: boolean;
    /** The parent process id now (tests); `process.ppid` read afresh. */
    parentPid?: () => number;
    /** How often the parent is checked (ms). */
    launcherCheckMs?: number;
    /** What bin/vigil.mjs read of the parent at the very start (tests; default: that). */
    launcher?: { pid: number; background: boolean };
  } = {},
): () => void {
  const forceExit = opts.forceExit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const handler = (signal: NodeJS.Signals) => {
    if (stopping) {
      opts.log?.(`${signal} again: exiting without finishing the shutdown`);
      forceExit(130);
      return;
    }
    stopping = true;
    opts.log?.(`${signal}: stopping intake, draining, saving state`);
    stop(signal).catch((err: Error) => {
      opts.log?.(`shutdown failed: ${err.message}`);
      forceExit(1);
    });
  };
  const hangup = () => opts.log?.('SIGHUP ignored: vigil keeps running (model files are reloaded when they change; restart it to read a changed config)');
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  process.on('SIGHUP', hangup);
  const started = opts.launcher ?? startedBy();
  const watch = opts.watchLauncher ?? (process.env.npm_command !== undefined && !started?.background);
  const launcher = watch ? watchParent(opts.parentPid ?? (() => process.ppid), started?.pid, opts.launcherCheckMs ?? 1000, (was) => {
    opts.log?.(`its launcher (parent process ${was}, started by npm) is gone: stopping as on SIGTERM (run bin/vigil.mjs or an installed vigil, not npx, under a supervisor)`);
    if (!stopping) handler('SIGTERM');
  }) : undefined;
  return () => {
    if (launcher) clearInterval(launcher);
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
    process.off('SIGHUP', hangup);
  };
}

/** What bin/vigil.mjs read of its parent at the very start (absent: started otherwise, e.g. a test). */
function startedBy(): { pid: number; background: boolean } | undefined {
  return (globalThis as { __vigilLauncher?: { pid: number; background: boolean } }).__vigilLauncher;
}

/**
 * Call `gone` once the parent process id differs from the one at the start (`startPid`, else the one now), checked every
 * `everyMs` from the first tick on; a timer that keeps nothing alive.
 */
function watchParent(parentPid: () => number, startPid: number | undefined, everyMs: number, gone: (was: number) => void): NodeJS.Timeout {
  const was = startPid ?? parentPid();
  const timer = setInterval(() => {
    if (parentPid() === was) return;
    clearInterval(timer);
    gone(was);
  }, everyMs);
  timer.unref();
  return timer;
}
