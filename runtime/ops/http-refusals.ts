/**
 * Requests the HTTP gate refused (runtime/util/http-guard.ts), never silent: counted by reason in
 * `vigil_http_refused_total` (`token_missing`, `token_wrong`, `host`) and logged, rate-limited, with the server and the
 * sender's address, so a scanner trying tokens or a Prometheus job with a rotated token shows up without flooding
 * the log. The token sent is never logged.
 */
import type { IncomingMessage } from 'node:http';
import type { HttpRefusal } from '../util/http-guard.ts';
import { rateLimitedWarning, type WarnLogger, type WarningClock, WARNING_INTERVAL_MS, realClock } from '../util/rate-limited-warning.ts';

/** What each refusal means, for the log line. */
const WHY: Record<HttpRefusal, string> = {
  token_missing: 'no bearer token',
  token_wrong: 'a token that is not http.token',
  host: 'a Host that is not served (DNS rebinding check)',
};

/** Report a refusal of the named server (`metrics`, `dashboard`). */
export type HttpRefused = (server: string) => (reason: HttpRefusal, req: IncomingMessage) => void;

/** Count refusals into `counts` (by reason) and log them at most once per `intervalMs`. */
export function httpRefusals(counts: Map<string, number>, log: WarnLogger, intervalMs = WARNING_INTERVAL_MS, clock: WarningClock = realClock): { refused: HttpRefused; flush(): void } {
  const warning = rateLimitedWarning(
    log,
    (count, byKey, keys) => [
      { count, refused: byKey, ...(keys > 5 && { others: keys - 5 }) },
      `${count} HTTP request(s) refused (${Object.keys(byKey).join('; ')}); vigil_http_refused_total counts them by reason`,
    ],
    intervalMs,
    clock,
  );
  return {
    refused: (server) => (reason, req) => {
      counts.set(reason, (counts.get(reason) ?? 0) + 1);
      warning.add(`${server}: ${WHY[reason]} from ${req.socket.remoteAddress ?? 'unknown'}`);
    },
    flush: warning.flush,
  };
}
