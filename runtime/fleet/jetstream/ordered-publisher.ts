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
  return new KeyOrderedPublisher(opts);
}

/** Each key's chain of items, the heads held back after a failure, and the one head retried alone. */
class KeyOrderedPublisher<T> implements OrderedPublisher<T> {
  /** Items behind each key's head (the head is in flight, failed or waiting to start); a key here is busy. */
  private readonly chains = new Map<string, Job<T>[]>();
  /** Heads that could not start while halted, and failed heads, restarted in push order. */
  private waiting: Job<T>[] = [];
  private n = 0;
  private flying = 0;
  private holding = false;
  private closed = false;
  private attemptsFailed = 0;
  /** Failures since the last success. */
  private failures = 0;
  private delay: number;
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The oldest failed head, retried alone; once it is stored the others start again. */
  private probe: Job<T> | undefined;
  private onIdle: (() => void)[] = [];

  constructor(private readonly opts: OrderedPublisherOptions<T>) {
    this.delay = opts.retryMs;
  }

  push(key: string, item: T, stored: () => void): void {
    const job = { n: this.n++, key, item, stored };
    const chain = this.chains.get(key);
    if (chain) return void chain.push(job);
    this.chains.set(key, []);
    this.start(job);
  }

  get inFlight(): number {
    return this.flying;
  }

  get halted(): boolean {
    return this.holding;
  }

  get retries(): number {
    return this.attemptsFailed;
  }

  settled(timeoutMs: number): Promise<void> {
    if (this.flying === 0) return Promise.resolve();
    return new Promise<void>((res) => {
      const t = setTimeout(res, timeoutMs);
      this.onIdle.push(() => {
        clearTimeout(t);
        res();
      });
    });
  }

  close(): void {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.waiting = [];
    this.chains.clear();
  }

  /** Publish a key's head now, or hold it while halted. */
  private start(job: Job<T>): void {
    if (this.closed) return;
    if (this.holding) {
      this.waiting.push(job);
      return void this.armRetry();
    }
    this.send(job);
  }

  private send(job: Job<T>): void {
    this.flying++;
    this.opts.publish(job.item).then(
      () => this.onStored(job),
      (err: Error) => this.onFailed(job, err),
    );
  }

  /** Tell the pusher; a stored probe lifts the halt; the key's next item starts. */
  private onStored(job: Job<T>): void {
    this.flying--;
    job.stored();
    if (this.probe === job) {
      this.probe = undefined;
      if (!this.closed) this.resume();
    }
    if (!this.closed) this.next(job.key);
    this.idle();
  }

  /** Halt: the failed head waits with the others for a retry. */
  private onFailed(job: Job<T>, err: Error): void {
    this.flying--;
    if (this.probe === job) this.probe = undefined;
    if (!this.closed) {
      this.attemptsFailed++;
      this.failures++;
      this.opts.onError?.(err, this.failures);
      this.holding = true;
      this.waiting.push(job);
      this.armRetry();
    }
    this.idle();
  }

  /** Start the key's next item, or free the key when its chain is empty. */
  private next(key: string): void {
    const chain = this.chains.get(key)!;
    const job = chain.shift();
    if (job) this.start(job);
    else this.chains.delete(key);
  }

  /** Lift the halt and start every waiting head in push order. */
  private resume(): void {
    this.holding = false;
    this.failures = 0;
    this.delay = this.opts.retryMs;
    const jobs = this.waiting.sort((a, b) => a.n - b.n);
    this.waiting = [];
    for (const j of jobs) this.start(j);
  }

  /** Schedule the next probe (the delay doubles each time), unless one is scheduled or in flight. */
  private armRetry(): void {
    if (this.timer || this.probe || this.closed || this.waiting.length === 0) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.retryOldest();
    }, this.delay);
    this.delay = Math.min(this.delay * 2, this.opts.maxRetryMs);
  }

  /** Send the oldest waiting head alone, as the probe. */
  private retryOldest(): void {
    if (this.closed || this.waiting.length === 0) return;
    const { waiting } = this;
    let oldest = 0;
    for (let i = 1; i < waiting.length; i++) if (waiting[i].n < waiting[oldest].n) oldest = i;
    this.probe = waiting.splice(oldest, 1)[0];
    this.send(this.probe);
  }

  /** Call the `settled` waiters once nothing is in flight. */
  private idle(): void {
    if (this.flying > 0) return;
    const fns = this.onIdle;
    this.onIdle = [];
    for (const f of fns) f();
  }
}
