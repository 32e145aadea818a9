import { describe, expect, it } from 'vitest';
import { alertPayload, fromGateway } from '../../runtime/mqtt/alert-payload.ts';
import { formatStatus } from '../../simulators/alerts/status.ts';
import { localZone } from '../../simulators/cli/alerts.ts';
import type { AlertEvent } from '../../runtime/stream/types.ts';
import { formatAlert, formatInvalid, formatSilence, localTime, alertProblem, invalidProblem, humanDuration, jsonLine, sentAt, type AlertMessage, type InvalidPayload } from '../../simulators/alerts/format.ts';

// Built by the runtime's producer, so the consumer is tested on what it will receive.
const open: AlertMessage = alertPayload({
  type: 'open', sensor: 'pump-00007', tsFirst: Date.UTC(2013, 11, 16, 15, 0), tsLast: Date.UTC(2013, 11, 16, 17, 35),
  score: 0.4567, threshold: 0.0125, contributors: [{ channel: 'motor_current', share: 0.71 }, { channel: 'flow', share: 0.2 }, { channel: 'speed', share: 0.05 }, { channel: 'power', share: 0.04 }],
  model: { name: 'pump', version: '1' }, provider: 'cpu',
}, 2);
const now = new Date(2026, 0, 1, 9, 5, 7);

describe('alert lines', () => {
  it('an open alert says who, how far over, when (data time) and what drove it', () => {
    const line = formatAlert(open, { now });
    expect(line).toBe('09:05:07  ALERT  pump-00007  critical  score 0.457 > 0.0125 (36.5x)  data 2013-12-16 15:00 .. 2013-12-16 17:35  driven by motor_current 71%, flow 20%');
  });
  it('a window that ends or starts on a whole minute prints both ends with seconds (not `08:31 .. 08:31:31`)', () => {
    const tsFirst = Date.UTC(2026, 11, 7, 8, 31);
    const ends = formatAlert({ ...open, tsFirst, tsLast: tsFirst + 31_000 }, { now });
    expect(ends).toContain('data 2026-12-07 08:31:00 .. 2026-12-07 08:31:31  ');
    const starts = formatAlert({ ...open, tsFirst: tsFirst - 31_000, tsLast: tsFirst }, { now });
    expect(starts).toContain('data 2026-12-07 08:30:29 .. 2026-12-07 08:31:00  ');
  });
  it('an open says when it opened (openedAt, the time its incident names), as its escalate and close do', () => {
    expect(open.openedAt).toBe(open.windowEnd);
    expect(open.incident).toBe(`pump-00007@${open.windowEnd}`);
  });

  it('names the gateway that sent it, when the message says (two gateways on one broker)', () => {
    const from = fromGateway(open, 'gw-north-1');
    expect(formatAlert(from, { now })).toMatch(/^09:05:07  ALERT  pump-00007 \[gw-north-1\]  critical/);
    expect(formatAlert({ ...from, type: 'close', durationMs: 60_000 }, { now })).toMatch(/^09:05:07  clear  pump-00007 \[gw-north-1\]  lasted 1m/);
    expect(alertProblem(from)).toBeUndefined();
  });
  it('names the gateway on silence and invalid-reading lines too, as on alert lines (a probe: `SILENT  dosing-1` beside `ALERT  dosing-1 [gw-hops-1]`)', () => {
    const last = Date.UTC(2026, 11, 7, 4, 38, 33);
    const silent = fromGateway({ schema: 'vigil-alert/1', type: 'silent', sensor: 'pump-1', lastHeard: new Date(last).toISOString(), lastHeardAt: last, quietMs: 62_000, usualMs: 1000, model: { name: 'm', version: '1' }, severity: 'warning' } as const, 'gw-south');
    expect(formatSilence(silent, { now })).toMatch(/^09:05:07  SILENT  pump-1 \[gw-south\]  no reading for 1m 02s/);
    expect(formatSilence({ ...silent, type: 'resumed' }, { now })).toMatch(/^09:05:07  back  pump-1 \[gw-south\]  after 1m 02s of silence$/);
    // Ended for room, not back: said so (more sensors silent at once than vigil watches).
    expect(formatSilence({ ...silent, type: 'resumed', unresolved: 'evicted', severity: 'clear' }, { now })).toMatch(/^09:05:07  unwatched  pump-1 \[gw-south\]  silent for 1m 02s, no longer watched \(evicted\)/);
    const invalid: InvalidPayload = fromGateway({ schema: 'vigil-alert/1', type: 'invalid', sensor: 'pump-1', reason: 'out_of_range', channel: 'temp', value: 900, range: [-40, 125], detail: 'd', receivedAt: new Date(last).toISOString(), ts: last, count: 1, model: { name: 'm', version: '1' }, severity: 'warning' }, 'gw-south');
    expect(formatInvalid(invalid, { now })).toMatch(/^09:05:07  INVALID  pump-1 \[gw-south\]  temp = 900 outside/);
    // Without one (an older producer), as before.
    expect(formatSilence({ ...silent, gateway: undefined }, { now })).toMatch(/^09:05:07  SILENT  pump-1  no reading/);
  });
  it('an alert the residual memory raised says it is a persistent shift; others do not', () => {
    expect(formatAlert({ ...open, memory: true }, { now })).toMatch(/driven by .*  a persistent shift \(residual memory\)$/);
    expect(formatAlert(open, { now })).not.toContain('persistent');
    expect(formatAlert({ ...open, memory: false }, { now })).not.toContain('persistent');
    expect(alertProblem({ ...open, memory: false })).toBeUndefined();
  });

  it('a close says how long it lasted, the peak and the channels of its worst window', () => {
    const line = formatAlert({ ...open, type: 'close', durationMs: 3 * 3600_000 + 5 * 60_000, peakScore: 0.654, tsLast: Date.UTC(2013, 11, 16, 20, 40) }, { now });
    // The close carries its worst window's channels (a probe: the line named none).
    expect(line).toBe('09:05:07  clear  pump-00007  lasted 3h 05m  peak 0.654 (52.3x)  worst on motor_current 71%, flow 20%  data until 2013-12-16 20:40');
    expect(formatAlert({ ...open, type: 'close', topChannels: [], durationMs: 60_000, tsLast: Date.UTC(2013, 11, 16, 20, 40) }, { now })).toBe('09:05:07  clear  pump-00007  lasted 1m 00s  data until 2013-12-16 20:40');
  });
  it('a close an operator\'s word brought says so and who gave it, from the producer\'s payload to the line', () => {
    const base: AlertEvent = {
      type: 'close', sensor: 'pump-00007', tsFirst: Date.UTC(2013, 11, 16, 20, 0), tsLast: Date.UTC(2013, 11, 16, 20, 40), durationMs: 600_000,
      score: 0.01, threshold: 0.0125, contributors: [], model: { name: 'pump', version: '1' }, provider: 'cpu',
    };
    const marked = alertPayload({ ...base, marked: { command: 'normal', by: '10.0.0.7 curl/8.1' } });
    expect(marked.marked).toEqual({ command: 'normal', by: '10.0.0.7 curl/8.1' });
    expect(alertProblem(marked)).toBeUndefined();
    expect(formatAlert(marked, { now })).toMatch(/  lasted 10m 00s  .*  after marked normal by 10\.0\.0\.7 curl\/8\.1/);
    expect(formatAlert({ ...marked, marked: { command: 'trained' } }, { now })).toMatch(/  after sent back to training/);
    expect(formatAlert({ ...marked, marked: { command: 'normal', by: 'mqtt t id \x1b[2J' } }, { now })).toMatch(/by mqtt t id \?\[2J$/);
    expect(formatAlert({ ...marked, marked: { command: 'x\x1b[2J' } }, { now })).toMatch(/after operator command x\?\[2J$/);
    expect(formatAlert(alertPayload(base), { now })).not.toMatch(/after/);
  });
  it('an event about data that arrived long after it was taken (a flushed backlog) says it is late; its open and close share one incident id', () => {
    const tsLast = Date.UTC(2013, 11, 16, 17, 35);
    const base = { sensor: 'pump-00007', tsFirst: tsLast - 60_000, score: 0.5, threshold: 0.0125, contributors: [], model: { name: 'pump', version: '1' }, provider: 'cpu' };
    // Live: the reading arrived 40 ms after its timestamp; no mark.
    const live = alertPayload({ ...base, type: 'open', tsLast, receivedAt: tsLast + 40 });
    expect(live).toMatchObject({ lateMs: 40, incident: 'pump-00007@2013-12-16T17:35:00.000Z' });
    expect(formatAlert(live, { now })).not.toContain('late');
    // A backlog flushed 2 h 41 min later: marked, on open and on close; the close names the same incident.
    const late = alertPayload({ ...base, type: 'open', tsLast, receivedAt: tsLast + (2 * 60 + 41) * 60_000 });
    expect(formatAlert(late, { now })).toMatch(/\(late: data from 2h 41m before it arrived\)$/);
    const closed = alertPayload({ ...base, type: 'close', tsLast: tsLast + 600_000, openedAt: tsLast, durationMs: 600_000, peakScore: 0.6, receivedAt: tsLast + 600_000 + (2 * 60 + 41) * 60_000 });
    expect(closed.incident).toBe(late.incident);
    expect(formatAlert(closed, { now })).toContain('(late: data from 2h 41m before it arrived)');
    // A replay of recorded data (the demo) asks not to be marked.
    expect(formatAlert(late, { now, late: false })).not.toContain('late');
    // An event without an arrival time (an older producer) has no lateMs and is not marked.
    expect(alertPayload({ ...base, type: 'open', tsLast }).lateMs).toBeUndefined();
  });
  it('colours only when asked (a terminal), red for open and green for close', () => {
    expect(formatAlert(open, { now })).not.toMatch(/\x1b\[/);
    expect(formatAlert(open, { now, color: true })).toContain('\x1b[31m');
    expect(formatAlert({ ...open, type: 'close' }, { now, color: true })).toContain('\x1b[32m');
  });
  it('recognises what is not an alert', () => {
    expect(alertProblem(open)).toBeUndefined();
    expect(alertProblem(null)).toMatch(/not a JSON object/);
    expect(alertProblem({ ...open, type: 'opened' })).toMatch(/expected "open", "escalate" or "close"/);
    expect(alertProblem({ ...open, score: '1' })).toMatch(/^score: .*expected number/);
    expect(alertProblem({ ...open, schema: 'vigil-alert/2' })).toMatch(/^schema: /);
    const { model: _model, ...noModel } = open;
    expect(alertProblem(noModel)).toMatch(/^model: /);
    expect(alertProblem({ ...open, extra: 1 })).toBeUndefined();
  });
  it("a sensor's invalid-reading signal says what was read, the range, the reason and how many", () => {
    const p: InvalidPayload = {
      schema: 'vigil-alert/1', type: 'invalid', sensor: 'pump-00007', reason: 'out_of_range', channel: 'temp', value: 900, range: [-40, 125],
      detail: "channel 'temp' is 900, outside its physical range [-40, 125] (ranges.temp in the model card)", receivedAt: '2013-12-16T17:35:00.000Z',
      ts: Date.UTC(2013, 11, 16, 17, 35), count: 4, model: { name: 'pump', version: '1' }, severity: 'warning',
    };
    expect(formatInvalid(p, { now })).toBe(`09:05:07  INVALID  pump-00007  temp = 900 outside [-40, 125]  (out_of_range, 4 readings since the last signal)  at ${localTime(p.ts!)}`);
    const bad = { ...p, reason: 'bad_value' as const, channel: undefined, value: undefined, range: undefined, detail: "channel 'temp' is 4e+38, beyond the float32 range", count: 1 };
    expect(formatInvalid(bad, { now })).toBe(`09:05:07  INVALID  pump-00007  channel 'temp' is 4e+38, beyond the float32 range  (bad_value)  at ${localTime(p.ts!)}`);
    expect(formatInvalid(p, { now, color: true })).toContain('\x1b[33m');
    expect(invalidProblem(p)).toBeUndefined();
    expect(invalidProblem({ ...p, count: '4' })).toMatch(/^count: /);
    expect(invalidProblem({ ...p, reason: 'too_hot' })).toMatch(/^reason: /);
    expect(alertProblem(p)).toMatch(/expected "open", "escalate" or "close"/);
  });
  it('durations read like a person would say them', () => {
    expect(humanDuration(45_000)).toBe('45s');
    expect(humanDuration(750_000)).toBe('12m 30s');
    expect(humanDuration(3 * 86_400_000 + 4 * 3600_000)).toBe('3d 4h');
  });
});

describe('times in vigil alerts', () => {
  it("prints a sensor's 'last at' and a gateway's 'since' in the local time its lines start with (an HVAC probe in Europe/Berlin read them an hour apart)", () => {
    const tz = process.env.TZ;
    process.env.TZ = 'Europe/Berlin';
    try {
      const last = Date.UTC(2026, 11, 7, 2, 9, 21);
      const silent = { schema: 'vigil-alert/1', type: 'silent', sensor: 'ahu7', lastHeard: new Date(last).toISOString(), lastHeardAt: last, quietMs: 60_000, usualMs: 60, model: { name: 'm', version: '1' }, severity: 'warning' } as const;
      expect(formatSilence(silent, { now: new Date(last + 60_000) })).toBe('03:10:21  SILENT  ahu7  no reading for 1m 00s  (usually every 60 ms; last at 2026-12-07 03:09:21)');
      const status = { schema: 'vigil-status/1', gateway: 'gw', state: 'online', session: 'ab12', since: new Date(last).toISOString() } as const;
      expect(formatStatus(status, { now: new Date(last) })).toBe('03:09:21  ONLINE  gateway gw  since 2026-12-07 03:09:21  (session ab12)');
      const invalid: InvalidPayload = { schema: 'vigil-alert/1', type: 'invalid', sensor: 'ahu1', reason: 'out_of_range', channel: 'filter_dp', value: -9999, range: [0, 1000], detail: 'd', receivedAt: new Date(last).toISOString(), ts: last, count: 1, model: { name: 'm', version: '1' }, severity: 'warning' };
      expect(formatInvalid(invalid, { now: new Date(last) })).toBe('03:09:21  INVALID  ahu1  filter_dp = -9999 outside [0, 1000]  (out_of_range)  at 2026-12-07 03:09:21');
      expect(localZone(new Date(last))).toBe('Europe/Berlin, UTC+01:00');
    } finally {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    }
  });
});

describe('retained messages in vigil alerts', () => {
  it('are shown at the time they were sent, marked retained (a probe: a retained silence of 16 minutes before read as new)', () => {
    const silent = { schema: 'vigil-alert/1', type: 'silent', sensor: 'p1', lastHeard: new Date(Date.UTC(2026, 0, 1, 8, 0, 0)).toISOString(), lastHeardAt: Date.UTC(2026, 0, 1, 8, 0, 0), quietMs: 62_000, usualMs: 1000, model: { name: 'm', version: '1' }, severity: 'warning' } as const;
    const at = sentAt(silent)!;
    expect(at.getTime()).toBe(Date.UTC(2026, 0, 1, 8, 1, 2));
    const line = formatSilence(silent, { now: at, retained: true });
    // Not today's: its date too.
    expect(line.startsWith(`2026-01-01 ${at.toTimeString().slice(0, 8)} (retained)  SILENT  p1`)).toBe(true);
    expect(formatSilence(silent, { now: new Date(), retained: true })).toMatch(/^\d\d:\d\d:\d\d \(retained\)  SILENT/);
    expect(formatSilence(silent, { now: at })).not.toContain('retained');
    const open = { ...alertPayload({ type: 'open', sensor: 'p1', tsFirst: 1000, tsLast: 2000, score: 3, threshold: 1, contributors: [], model: { name: 'm', version: '1' }, provider: 'cpu', receivedAt: 2500 } as never, 3) } as AlertMessage;
    expect(sentAt(open)!.getTime()).toBe(2500);
  });

  it('--json marks a retained message too, and leaves a live one as published', () => {
    expect(JSON.parse(jsonLine(open, true))).toEqual({ ...open, retained: true });
    expect(jsonLine(open, false)).toBe(JSON.stringify(open));
  });
});
