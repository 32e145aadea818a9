/**
 * Graceful shutdown on SIGINT/SIGTERM: the first signal runs the stop sequence once (the caller learns it
 * finished through its own handle); a second one while it runs exits at once (Ctrl-C twice means it).
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
  process.on('SIGINT', handler);
  process.on('SIGTERM', handler);
  return () => {
    process.off('SIGINT', handler);
    process.off('SIGTERM', handler);
  };
}
