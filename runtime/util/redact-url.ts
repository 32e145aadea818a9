/**
 * URLs made safe to show (logs, the banner, `--print-config`, /health, the dashboard): one place, so every output
 * hides the same parts.
 *
 * The user part ends at the last `@` before the path's query or fragment, not the first: a password with an
 * unencoded `@` (`mqtt://gw:p@ss@broker`, which URL parsers and mqtt.js read as password `p@ss`) was shown from its
 * `@` on, and one with an unencoded `/` in full.
 */

/** A URL with the password of its user part hidden (`mqtt://user:***@host`) and each query value (`?token=***`). */
export function redactUrl(url: string): string {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^?#]*)(.*)$/is.exec(url);
  if (!m) return url;
  const [, scheme, beforeQuery, query] = m;
  const at = beforeQuery.lastIndexOf('@');
  let shown = beforeQuery;
  if (at >= 0) {
    const user = beforeQuery.slice(0, at);
    const colon = user.indexOf(':');
    shown = `${colon >= 0 ? `${user.slice(0, colon)}:***` : user}@${beforeQuery.slice(at + 1)}`;
  }
  return scheme + shown + query.replace(/([?&][^=&#]*=)[^&#]*/g, '$1***');
}

/**
 * A webhook URL as shown: its origin, with `/***` for any path or query. A webhook's path is often its secret
 * (Slack's `/services/T/B/SECRET`, Discord's `/api/webhooks/ID/TOKEN`, Teams'), and whoever reads the log could post
 * alerts with it.
 */
export function webhookShown(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return '<webhook url>';
  }
  const origin = `${u.protocol}//${u.host}`;
  return u.pathname === '/' && u.search === '' ? origin : `${origin}/***`;
}
