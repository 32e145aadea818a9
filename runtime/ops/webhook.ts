/**
 * Optional webhook for alerts: HTTP POST of the alert JSON, one delivery at a time in the order the events happened
 * (an `open` always reaches the receiver before its `close`, and a retried one holds back what follows, as the MQTT
 * alert queue does). Retried with exponential backoff on network errors, timeouts and 5xx/429 answers, waiting at
 * least what a `Retry-After` header asks (at most MAX_RETRY_AFTER_MS); 4xx other than 429 are not retried (the
 * request itself is wrong). Deliveries waiting are bounded; beyond the bound the oldest fails (counted). A URL's
 * user and password (`https://user:pass@host/...`) go in an `Authorization: Basic` header: fetch refuses such URLs,
 * and no message it gives ever carries the URL.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { AlertMessagePayload } from '../mqtt/alert-payload.ts';

/** Webhook settings. */
export interface WebhookOptions {
  url: string;
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  headers: Record<string, string>;
  /** Deliveries waiting at most (the one being made included); beyond it the oldest fails. */
  maxInFlight?: number;
  /** Told about each delivery that failed for good. */
  onFailure?: (reason: string, payload: AlertMessagePayload) => void;
}

/** A webhook poster. */
export interface Webhook {
  post(p: AlertMessagePayload): void;
  /** Wait until every delivery so far is made or has failed; false on timeout. */
  drain(timeoutMs: number): Promise<boolean>;
  stats(): { delivered: number; failed: number; inFlight: number };
  /** Stop: the delivery being made is abandoned and nothing more is tried; returns how many were left undelivered. */
  close(): number;
}

/** The longest a `Retry-After` answer makes a retry wait (ms). */
export const MAX_RETRY_AFTER_MS = 60_000;

/** The URL to POST to and the headers to send: user and password taken out of the URL into Basic auth. */
export function webhookTarget(url: string, headers: Record<string, string>): { url: string; headers: Record<string, string> } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { url, headers };
  }
  if (!u.username && !u.password) return { url, headers };
  const decode = (x: string) => {
    try {
      return decodeURIComponent(x);
    } catch {
      return x; // a malformed escape is taken as written
    }
  };
  const basic = Buffer.from(`${decode(u.username)}:${decode(u.password)}`).toString('base64');
  u.username = '';
  u.password = '';
  const hasAuth = Object.keys(headers).some((k) => k.toLowerCase() === 'authorization');
  return { url: u.toString(), headers: hasAuth ? headers : { ...headers, authorization: `Basic ${basic}` } };
}

/** The wait a `Retry-After` value asks for (seconds or an HTTP date), in ms, or 0. */
export function retryAfterMs(value: string | null, now = Date.now()): number {
  if (!value) return 0;
  const s = Number(value);
  const ms = Number.isFinite(s) ? s * 1000 : Date.parse(value) - now;
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, MAX_RETRY_AFTER_MS) : 0;
}

/** Create the webhook poster. */
export function createWebhook(opts: WebhookOptions): Webhook {
  const maxWaiting = opts.maxInFlight ?? 100;
  const target = webhookTarget(opts.url, opts.headers);
  const queue: AlertMessagePayload[] = [];
  const stats = { delivered: 0, failed: 0 };
  const idle: ((ok: boolean) => void)[] = [];
  let running = false;
  /** Aborted at close(): ends the delivery in progress and its backoff wait. */
  const stopped = new AbortController();
  const fail = (reason: string, p: AlertMessagePayload) => {
    stats.failed++;
    opts.onFailure?.(reason, p);
  };
  // Errors from fetch can quote the URL (and with it a token in its path or query): never passed on.
  const reasonOf = (err: Error) => (err.name === 'TimeoutError' ? `no answer within ${opts.timeoutMs} ms` : err.name === 'AbortError' ? 'stopped' : (err.message.split(target.url).join('<webhook url>').split(opts.url).join('<webhook url>')));
  const pause = (ms: number) => delay(ms, undefined, { signal: stopped.signal }).catch(() => undefined);

  /** Deliver one payload, with its retries; a reason when it failed for good. */
  const deliver = async (p: AlertMessagePayload): Promise<string | undefined> => {
    const body = JSON.stringify(p);
    let last = '';
    let wait = 0;
    for (let attempt = 0; attempt <= opts.retries && !stopped.signal.aborted; attempt++) {
      if (attempt > 0) await pause(Math.max(opts.backoffMs * 2 ** (attempt - 1), wait));
      if (stopped.signal.aborted) break;
      try {
        const res = await fetch(target.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...target.headers },
          body,
          signal: AbortSignal.any([stopped.signal, AbortSignal.timeout(opts.timeoutMs)]),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return undefined;
        last = `HTTP ${res.status}`;
        if (res.status < 500 && res.status !== 429) break;
        wait = retryAfterMs(res.headers.get('retry-after'));
      } catch (err) {
        last = reasonOf(err as Error);
        wait = 0;
      }
    }
    return stopped.signal.aborted && !last ? 'stopped' : last;
  };

  const run = async () => {
    running = true;
    while (queue.length && !stopped.signal.aborted) {
      const p = queue[0];
      const failed = await deliver(p);
      if (stopped.signal.aborted) break;
      queue.shift();
      if (failed === undefined) stats.delivered++;
      else fail(failed, p);
    }
    running = false;
    if (queue.length === 0) for (const f of idle.splice(0)) f(true);
  };

  return {
    post(p) {
      if (stopped.signal.aborted) return fail('the webhook is stopped', p);
      // The one being delivered stays; the oldest waiting behind it goes (or this one, when nothing waits behind it).
      if (queue.length >= maxWaiting) {
        const oldest = running ? 1 : 0;
        if (oldest >= queue.length) return fail(`${maxWaiting} deliveries already waiting`, p);
        fail(`${maxWaiting} deliveries already waiting`, queue.splice(oldest, 1)[0]);
      }
      queue.push(p);
      if (!running) void run();
    },
    drain(timeoutMs) {
      if (queue.length === 0) return Promise.resolve(true);
      return new Promise((resolve) => {
        const t = setTimeout(() => resolve(false), timeoutMs);
        idle.push((ok) => {
          clearTimeout(t);
          resolve(ok);
        });
      });
    },
    stats: () => ({ ...stats, inFlight: queue.length }),
    close() {
      stopped.abort();
      const left = queue.length;
      queue.length = 0;
      // Abandoned, not delivered: a drain waiting on them says so.
      for (const f of idle.splice(0)) f(left === 0);
      return left;
    },
  };
}
