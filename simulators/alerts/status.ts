/**
 * Gateway status messages in `vigil alerts` (`vigil-status/1`, runtime/mqtt/gateway-status.ts): which vigils are
 * online, which stopped or vanished (the broker's will), one line each, so whoever watches the alerts also sees a
 * gateway that can no longer send any.
 */
import { StatusPayloadSchema, STATUS_SCHEMA, type StatusPayload } from '@vigil/runtime/mqtt/gateway-status.ts';
import { ANSI, localTime, schemaProblem, wallOf } from './format.ts';

export type { StatusPayload };

/** Whether a parsed message claims to be a status message (its `schema`). */
export function isStatusMessage(v: unknown): boolean {
  return typeof v === 'object' && v !== null && (v as { schema?: unknown }).schema === STATUS_SCHEMA;
}

/** Check a parsed payload is a status message; returns a reason when it is not. */
export function statusProblem(v: unknown): string | undefined {
  return schemaProblem(StatusPayloadSchema.safeParse(v));
}

/**
 * One line for a status message: ONLINE (since when), OFFLINE stopped, or OFFLINE connection lost (the broker's will:
 * the gateway vanished without a goodbye: a kill, a power cut, a cut cable). Starts with the local time it was
 * received, or, retained (`retained`, `now` its own time when it says one), when it was sent, marked.
 */
export function formatStatus(p: StatusPayload, opts: { color?: boolean; now?: Date; retained?: boolean } = {}): string {
  const c = opts.color ? ANSI : { red: '', green: '', bold: '', dim: '', reset: '' };
  // A retained will says nothing of when it was sent: maybe days ago (a review).
  const wall = opts.retained && !opts.now ? 'retained, sent at an unknown time' : wallOf(opts);
  const since = p.since ? `since ${localTime(Date.parse(p.since))}` : '';
  const state = p.state === 'online'
    ? `${c.green}${c.bold}ONLINE${c.reset}`
    : `${c.red}${c.bold}OFFLINE${c.reset}`;
  const why = p.state === 'offline' ? (p.cause === 'connection lost' ? 'connection lost (the broker\'s will: it vanished without a goodbye)' : p.cause ?? '') : '';
  return [`${c.dim}${wall}${c.reset}`, state, `gateway ${c.bold}${p.gateway}${c.reset}`, why, since, `(session ${p.session})`].filter(Boolean).join('  ');
}

/** When a status message was sent, from its own fields (`since`; the will has none). */
export function statusSentAt(p: StatusPayload): Date | undefined {
  return p.since ? new Date(p.since) : undefined;
}
