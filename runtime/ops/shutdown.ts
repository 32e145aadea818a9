/**
 * Graceful shutdown on SIGINT/SIGTERM: the first signal runs the stop sequence once (the caller learns it
 * finished through its own handle); a second one while it runs exits at once (Ctrl-C twice means it).
 * SIGHUP is no stop: Node's default for it is to die on the spot (a probe: exit 129, no log line, no drain, no state
 * saved, and systemd's Restart=on-failure takes a SIGHUP death for a clean exit and leaves the gateway down). It comes
 * from a closed terminal (an SSH session ended) or from someone expecting a reload: it is logged and ignored; the model
 * files are reloaded when they change anyway, and a config change needs a restart. The writes that fail on a closed
 * terminal (EIO) are let go by bin/vigil.mjs.
 */

/** Install signal handlers; returns a function that removes them. */
export function onShutdownSignals(
  stop: (signal: string) => Promise<void>,
  opts: { forceExit?: (code: number) => void; log?: (msg: string) => void } = {},
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
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
    process.off('SIGHUP', hangup);
  };
}
