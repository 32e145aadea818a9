/**
 * Alert log lines are written without pino's redaction pass (runtime/ops/logger.ts `unredacted`, runtime/ops/sinks.ts):
 * the same bytes as with it, as long as an alert payload holds none of the redacted keys.
 */
import { describe, expect, it } from 'vitest';
import { alertPayload, AlertPayloadSchema, fromGateway } from '../../runtime/mqtt/alert-payload.ts';
import { createLogger, REDACT_PATHS, unredacted } from '../../runtime/ops/logger.ts';
import type { AlertEvent } from '../../runtime/stream/types.ts';

const alert = (sensor: string, tsLast: number): AlertEvent => ({
  type: 'open', sensor, tsFirst: tsLast - 1000, tsLast, score: 3.14159265, threshold: 1,
  contributors: [{ channel: 'a', share: 0.7 }, { channel: 'b', share: 0.3 }], model: { name: 'm', version: '1' }, provider: 'ort-node/cpu',
});
describe('alert log lines', () => {
  it('are written unredacted only while an alert payload holds no redacted key (logger.ts unredacted)', () => {
    const lines: string[] = [];
    const log = createLogger('info', { write: (s: string) => void lines.push(s) });
    const full: AlertEvent = { ...alert('pump-1', Date.UTC(2024, 0, 1)), type: 'close', memory: true, cause: 'spread', outside: [{ channel: 'a', value: 9, low: 0, high: 1 }], incomplete: true, receivedAt: 5, openedAt: 1, durationMs: 4, peakScore: 9, peakThreshold: 1, model: { name: 'm', version: '1', weights: 'abc' } } as AlertEvent;
    for (const a of [alert('pump-1', Date.UTC(2024, 0, 1)), full]) {
      const payload = fromGateway(alertPayload(a, 3), 'gw-1');
      log.info({ alert: payload }, 'alert');
      unredacted(log).info({ alert: payload }, 'alert');
      expect(lines.pop()!.replace(/"time":"[^"]*"/, '')).toBe(lines.pop()!.replace(/"time":"[^"]*"/, ''));
      expect(lines.join('')).not.toContain('***');
    }
    // Every key the schema allows, not only the fields this event fills (marked, unresolved, ...): none is redacted.
    const keys = (t: unknown): string[] => {
      const d = (t as { def: { type: string; shape?: Record<string, unknown>; innerType?: unknown; element?: unknown } }).def;
      if (d.type === 'optional') return keys(d.innerType);
      if (d.type === 'array') return keys(d.element);
      return d.type === 'object' ? Object.entries(d.shape!).flatMap(([k, v]) => [k, ...keys(v)]) : [];
    };
    const leaves = new Set(REDACT_PATHS.map((p) => p.split('.').pop()!));
    expect(keys(AlertPayloadSchema)).toContain('by');
    expect(keys(AlertPayloadSchema).filter((k) => leaves.has(k))).toEqual([]);
    // The premise has teeth: a payload that held a redacted key would differ.
    log.info({ alert: { token: 'x' } }, 'alert');
    unredacted(log).info({ alert: { token: 'x' } }, 'alert');
    expect(lines.pop()).not.toBe(lines.pop());
  });
});
