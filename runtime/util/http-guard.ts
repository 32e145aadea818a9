/**
 * The gate in front of vigil's two HTTP servers (/metrics + /health, and the dashboard): security headers on every
 * response, a Host allow-list against DNS rebinding, and an optional bearer token.
 *
 * DNS rebinding: a page on attacker.example whose name is later pointed at 127.0.0.1 can read a loopback server
 * from the victim's browser, but the browser still sends `Host: attacker.example`. So a request is served only
 * when its Host is localhost, an IP literal (a rebinding attack always arrives under a DNS name, so any address
 * typed by hand, e.g. the gateway's LAN IP, is safe), the bind address, or a name in `http.allowedHosts`.
 *
 * Token: sent as `Authorization: Bearer TOKEN` (Prometheus' `authorization` / `bearer_token_file`, curl), or,
 * for a browser, opened once as `/?token=TOKEN`: that sets an HttpOnly SameSite=Strict cookie and redirects to
 * the same URL without the token, so the page's own requests (assets, /events) carry it. Compared in constant
 * time. /health and /healthz stay open (`openPaths`): probes (systemd, Kubernetes, load balancers) carry no
 * token, and they tell only status, model name and counts.
 *
 * A refusal says which mistake was made, `missing bearer token` or `token not accepted` (a user with a stale cookie
 * or a rotated token could not tell them apart): the sender knows whether it sent a token, so this tells an attacker
 * nothing, and neither answer says anything of the token itself. Each refusal is reported to `onRefused` (counted in
 * /metrics and logged, rate-limited: runtime/ops/http-refusals.ts).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Content-Security-Policy of a server that sends no pages (metrics, health): nothing may load or frame it. */
export const CSP_NONE = "default-src 'none'; frame-ancestors 'none'";

/** Name of the cookie a browser keeps the token in. */
export const TOKEN_COOKIE = 'vigil_token';

/** What the gate needs. */
export interface HttpGuardOptions {
  /** The address the server listens on (`127.0.0.1`, `0.0.0.0`, `gateway.local`). */
  bindHost: string;
  /** Further Host names to serve (`gateway.plant.example`); `*` turns the Host check off. */
  allowedHosts?: readonly string[];
  /** When set, every request outside `openPaths` must carry it. */
  token?: string | null;
  /** Paths served without the token (default /health and /healthz). */
  openPaths?: readonly string[];
  /** The Content-Security-Policy for this server's responses. */
  csp: string;
  /** Called for each request refused (after its answer is written). */
  onRefused?: (reason: HttpRefusal, req: IncomingMessage) => void;
}

/** Why the gate refused a request: a foreign Host, no token at all, or a token that is not this server's. */
export type HttpRefusal = 'host' | 'token_missing' | 'token_wrong';

/** Lower-case host name of a Host header, without its port; IPv6 literals keep their brackets. */
export function hostName(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  const colon = h.lastIndexOf(':');
  const name = colon >= 0 && h.indexOf(':') === colon ? h.slice(0, colon) : h;
  return name.endsWith('.') ? name.slice(0, -1) : name;
}

/** Whether a Host header names this server rather than some DNS name that happens to resolve to it. */
export function hostAllowed(header: string | undefined, bindHost: string, allowed: readonly string[] = []): boolean {
  // Browsers always send Host; a client that does not (HTTP/1.0 by hand) cannot be a rebinding page.
  if (header === undefined || header === '') return true;
  if (allowed.includes('*')) return true;
  const name = hostName(header);
  if (isIP(name.replace(/^\[|\]$/g, ''))) return true;
  const bind = hostName(isIP(bindHost) === 6 ? `[${bindHost}]` : bindHost);
  return name === 'localhost' || name === bind || allowed.some((a) => hostName(a) === name);
}

const BEARER = /^Bearer\s+(\S+)\s*$/i;

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Constant-time equality of two secrets (their SHA-256 digests, so lengths leak nothing either). */
export function sameSecret(given: string, expected: string): boolean {
  return timingSafeEqual(digest(given), digest(expected));
}

/** The token a request carries: bearer header first, then the cookie. */
function carried(req: IncomingMessage): string | undefined {
  const auth = BEARER.exec(String(req.headers.authorization ?? ''));
  if (auth) return auth[1];
  for (const part of String(req.headers.cookie ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === TOKEN_COOKIE) {
      try {
        return decodeURIComponent(v.join('='));
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

function refuse(res: ServerResponse, code: number, body: string, headers: Record<string, string> = {}): false {
  res.writeHead(code, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers }).end(body);
  return false;
}

/**
 * A request gate: sets the security headers, then returns true when the request may be served, or answers it
 * (403 for a foreign Host, 401 for a missing or a wrong token, 303 after a `?token=` login) and returns false.
 */
export function httpGuard(opts: HttpGuardOptions): (req: IncomingMessage, res: ServerResponse) => boolean {
  const open = new Set(opts.openPaths ?? ['/health', '/healthz']);
  return (req, res) => {
    res.setHeader('content-security-policy', opts.csp);
    res.setHeader('x-frame-options', 'DENY');
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    const host = req.headers.host;
    const refused = (reason: HttpRefusal, code: number, body: string, headers?: Record<string, string>): false => {
      refuse(res, code, body, headers);
      opts.onRefused?.(reason, req);
      return false;
    };
    if (!hostAllowed(host, opts.bindHost, opts.allowedHosts)) {
      const name = hostName(String(host));
      return refused(
        'host',
        403,
        `vigil: Host '${name}' is not served here (protection against DNS rebinding). Open this server as localhost, ` +
          `by IP address or as its bind address, or add '${name}' to http.allowedHosts in the config.\n`,
      );
    }
    if (!opts.token) return true;
    const url = new URL(req.url ?? '/', 'http://vigil');
    if (open.has(url.pathname)) return true;
    const query = url.searchParams.get('token');
    if (query !== null && sameSecret(query, opts.token)) {
      url.searchParams.delete('token');
      const cookie = `${TOKEN_COOKIE}=${encodeURIComponent(opts.token)}; Path=/; HttpOnly; SameSite=Strict`;
      return refuse(res, 303, 'signed in\n', { location: `${url.pathname}${url.search}`, 'set-cookie': cookie });
    }
    const given = carried(req);
    if (given !== undefined && sameSecret(given, opts.token)) return true;
    if (given === undefined && query === null) {
      const auth = req.headers.authorization;
      const malformed = auth !== undefined ? ` (an Authorization header came, but not as 'Bearer TOKEN')` : '';
      return refused(
        'token_missing',
        401,
        `vigil: missing bearer token${malformed}: this server needs its token (http.token or VIGIL_HTTP_TOKEN): ` +
          `send 'Authorization: Bearer TOKEN', or open /?token=TOKEN once in a browser.\n`,
        { 'www-authenticate': 'Bearer realm="vigil"' },
      );
    }
    return refused(
      'token_wrong',
      401,
      `vigil: token not accepted: the token sent is not this server's (http.token or VIGIL_HTTP_TOKEN); check for a ` +
        `mistyped or rotated token (a browser: open /?token=TOKEN again to replace its cookie).\n`,
      { 'www-authenticate': 'Bearer realm="vigil", error="invalid_token"' },
    );
  };
}
