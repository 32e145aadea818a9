/**
 * Many publishes in flight, each key's (sensor's) items stored in the order they were pushed, across failures.
 *
 * Per key at most one publish is in flight: the next item of a sensor is published only once JetStream acked the
 * one before it. Order in the stream then never rests on the server keeping the order of pipelined requests, which
 * it does not across a reconnect (a request written to the dying socket is lost while one buffered behind it is
 * sent on the new connection) or a restart (a 503 "no responders" while the stream loads, a store a moment later).
 * Different sensors overlap freely, up to what the caller lets in (the bridge's window).
 *
 * On a failure nothing new is started: the failed items wait, and the oldest one is retried alone after `retryMs`
 * (doubling up to `maxRetryMs`); once it is stored, the other failed and waiting items start again in push order.
 * A retried publish carries the same Nats-Msg-Id, so one whose first attempt was stored after all is not stored twice.
 */

/** Options of `orderedPublisher`. */
export interface OrderedPublisherOptions<T> {
  /** Store one item; resolves once stored (or found a duplicate), rejects when it must be tried again. */
  publish(item: T): Promise<void>;
  /** First retry delay after a failure; doubles up to `maxRetryMs`. */
  retryMs: number;
  maxRetryMs: number;
  /** Told of every failed attempt (`attempt` counts the failures since the last success). */
  onError?: (err: Error, attempt: number) => void;
}

/** The publisher: push items, each with the callback told once it is stored. */
export interface OrderedPublisher<T> {
  /** Publish `item` after every earlier item of `key` is stored; `stored` is called once it is. */
  push(key: string, item: T, stored: () => void): void;
  /** Publishes awaiting JetStream's answer now. */
  readonly inFlight: number;
  /** Whether new publishes are held back after a failure. */
  readonly halted: boolean;
  /** Failed attempts so far. */
  readonly retries: number;
  /** Resolves once no publish is in flight (or after `timeoutMs`). */
  settled(timeoutMs: number): Promise<void>;
  /** Start nothing more and retry nothing; publishes in flight still report `stored`. */
  close(): void;
}

interface Job<T> {
  n: number;
  key: string;
  item: T;
  stored: () => void;
}

/** A publisher keeping each key's order; see the file comment. */
export function orderedPublisher<T>(opts: OrderedPublisherOptions<T>): OrderedPublisher<T> {
  /** Items behind each key's head (the head is in flight, failed or waiting to start); a key here is busy. */
  const chains = new Map<string, Job<T>[]>();
  /** Heads that could not start while halted, and failed heads, restarted in push order. */
  let waiting: Job<T>[] = [];
  let n = 0;
  let inFlight = 0;
  let halted = false;
  let closed = false;
  let retries = 0;
  let failures = 0;
  let delay = opts.retryMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let probe: Job<T> | undefined;
  let onIdle: (() => void)[] = [];

  const idle = () => {
    if (inFlight > 0) return;
    const fns = onIdle;
    onIdle = [];
    for (const f of fns) f();
  };
  const next = (key: string) => {
    const chain = chains.get(key)!;
    const job = chain.shift();
    if (job) start(job);
    else chains.delete(key);
  };
  const resume = () => {
    halted = false;
    failures = 0;
    delay = opts.retryMs;
    const jobs = waiting.sort((a, b) => a.n - b.n);
    waiting = [];
    for (const j of jobs) start(j);
  };
  const armRetry = () => {
    if (timer || probe || closed || waiting.length === 0) return;
    timer = setTimeout(() => {
      timer = undefined;
      if (closed || waiting.length === 0) return;
      let oldest = 0;
      for (let i = 1; i < waiting.length; i++) if (waiting[i].n < waiting[oldest].n) oldest = i;
      probe = waiting.splice(oldest, 1)[0];
      send(probe);
    }, delay);
    delay = Math.min(delay * 2, opts.maxRetryMs);
  };
  const send = (job: Job<T>) => {
    inFlight++;
    opts.publish(job.item).then(
      () => {
        inFlight--;
        job.stored();
        if (probe === job) {
          probe = undefined;
          if (!closed) resume();
        }
        if (!closed) next(job.key);
        idle();
      },
      (err: Error) => {
        inFlight--;
        if (probe === job) probe = undefined;
        if (!closed) {
          retries++;
          failures++;
          opts.onError?.(err, failures);
          halted = true;
          waiting.push(job);
          armRetry();
        }
        idle();
      },
    );
  };
  function start(job: Job<T>): void {
    if (closed) return;
    if (halted) {
      waiting.push(job);
      return void armRetry();
    }
    send(job);
  }

  return {
    push(key, item, stored) {
      const job = { n: n++, key, item, stored };
      const chain = chains.get(key);
      if (chain) return void chain.push(job);
      chains.set(key, []);
      start(job);
    },
    get inFlight() {
      return inFlight;
    },
    get halted() {
      return halted;
    },
    get retries() {
      return retries;
    },
    settled(timeoutMs) {
      if (inFlight === 0) return Promise.resolve();
      return new Promise<void>((res) => {
        const t = setTimeout(res, timeoutMs);
        onIdle.push(() => {
          clearTimeout(t);
          res();
        });
      });
    },
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      timer = undefined;
      waiting = [];
      chains.clear();
    },
  };
}
