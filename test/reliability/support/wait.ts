/**
 * Waiting on conditions instead of sleeping: `waitFor` re-checks a condition on a short timer until it holds
 * or a generous deadline passes, then fails with what it was waiting for (and the state, when given).
 */

/** Resolve when `cond()` is true; reject after `timeoutMs` naming `what` and `state()`. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 30_000, state?: () => unknown): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${state ? `; state: ${JSON.stringify(state())}` : ''}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A promise with its resolve function, for events. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Whether a runtime's broker connection is up, from its health report. */
export function brokerConnected(h: { health(): { [key: string]: unknown } }): boolean {
  return (h.health().broker as { connected?: boolean } | undefined)?.connected === true;
}
