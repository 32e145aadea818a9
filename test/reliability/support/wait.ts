/** Test-only waiting helpers (deferred promises, broker state); `waitFor` is in @vigil/fixtures/wait.ts. */

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
