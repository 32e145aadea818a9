/**
 * Optional webhook for alerts: HTTP POST of the alert JSON, retried with exponential backoff on network
 * errors, timeouts and 5xx/429 answers (4xx other than 429 are not retried: the request itself is wrong).
 * Deliveries in flight are bounded; beyond the bound new ones fail at once (counted).
 */
import type { AlertMessagePayload } from '../mqtt/alert-payload.ts';

/** Webhook settings. */
export interface WebhookOptions {
  url: string;
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  headers: Record<string, string>;
  maxInFlight?: number;
  /** Told about each delivery that failed for good. */
  onFailure?: (reason: string, payload: AlertMessagePayload) => void;
}

/** A webhook poster. */
export interface Webhook {
  post(p: AlertMessagePayload): void;
  /** Wait for deliveries in flight (bounded). */
  drain(timeoutMs: number): Promise<boolean>;
  stats(): { delivered: number; failed: number; inFlight: number };
}

/** Create the webhook poster. */
export function createWebhook(opts: WebhookOptions): Webhook {
  const maxInFlight = opts.maxInFlight ?? 100;
  const inFlight = new Set<Promise<void>>();
  const stats = { delivered: 0, failed: 0 };
  const fail = (reason: string, p: AlertMessagePayload) => {
    stats.failed++;
    opts.onFailure?.(reason, p);
  };

  const deliver = async (p: AlertMessagePayload) => {
    const body = JSON.stringify(p);
    let last = '';
    for (let attempt = 0; attempt <= opts.retries; attempt++) {
      if (attempt > 0) await new Promise((r) => setTimeout(r, opts.backoffMs * 2 ** (attempt - 1)));
      try {
        const res = await fetch(opts.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...opts.headers },
          body,
          signal: AbortSignal.timeout(opts.timeoutMs),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return void stats.delivered++;
        last = `HTTP ${res.status}`;
        if (res.status < 500 && res.status !== 429) break;
      } catch (err) {
        last = (err as Error).name === 'TimeoutError' ? `no answer within ${opts.timeoutMs} ms` : (err as Error).message;
      }
    }
    fail(last, p);
  };

  return {
    post(p) {
      if (inFlight.size >= maxInFlight) return fail(`${maxInFlight} deliveries already in flight`, p);
      const job = deliver(p).finally(() => inFlight.delete(job));
      inFlight.add(job);
    },
    async drain(timeoutMs) {
      if (inFlight.size === 0) return true;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), timeoutMs)));
      const all = Promise.allSettled([...inFlight]).then(() => true);
      const ok = await Promise.race([all, timeout]);
      clearTimeout(timer);
      return ok;
    },
    stats: () => ({ ...stats, inFlight: inFlight.size }),
  };
}
