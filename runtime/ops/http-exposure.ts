/**
 * An HTTP server bound beyond loopback without `http.token` is said at start, as a warning: /metrics and the
 * dashboard (every sensor's readings, scores and alerts) are then open to anyone who reaches the port, and a copied
 * config (docs/gateway.yaml binds 0.0.0.0 and takes the token from VIGIL_HTTP_TOKEN) whose environment file was
 * forgotten served them so without a word. Not refused: a trusted VLAN scraped without a token is a choice.
 */
import type { WarnLogger } from '../util/rate-limited-warning.ts';

/** Whether `host` is reachable only from this machine. */
export function isLoopback(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** Warn when the server `name` (`metrics`, `dashboard`) listens on `host` beyond loopback without a token. */
export function warnIfOpen(log: WarnLogger, name: 'metrics' | 'dashboard', host: string, port: number, token: string | null | undefined): void {
  if (token || isLoopback(host)) return;
  const what = name === 'metrics' ? '/metrics' : 'the dashboard (readings, scores and alerts of every sensor)';
  log.warn(
    { server: name, host, port },
    `${name}.host is ${host} and http.token is not set: ${what} is open to anyone who reaches port ${port}; set VIGIL_HTTP_TOKEN ` +
      `(e.g. openssl rand -hex 16), or bind ${name}.host to 127.0.0.1 (docs/security.md)`,
  );
}
