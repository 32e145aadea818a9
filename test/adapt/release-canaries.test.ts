/**
 * The operator command `release` (runtime/adapt/release-canaries.ts): a sensor's canaries, kept alerts and the one
 * still being collected, are dropped from the reservoir, so a false alert no longer blocks adaptation; the release is
 * logged with who asked, and a refusal says what was expected.
 */
import { describe, expect, it } from 'vitest';
import { ReservoirSchema } from '../../runtime/adapt/config.ts';
import { Reservoir } from '../../runtime/adapt/reservoir.ts';
import { storedWindowBytes } from '../../runtime/adapt/reservoir-file.ts';
import { withCanaryRelease } from '../../runtime/adapt/release-canaries.ts';
import { commandOf } from '../../runtime/ops/commands.ts';
import { createLogger } from '../../runtime/ops/logger.ts';
import { commandArg, type OperatorCommands } from '../../runtime/ops/sensor-commands.ts';
import type { Detection } from '../../runtime/stream/types.ts';

const W = 4;
const C = 2;
const model = { name: 'pump', window: W, channels: ['a', 'b'] };
const scaler = { kind: 'standard' as const, offset: [10, 20], scale: [2, 4] };
const cfg = ReservoirSchema.parse({ guardMs: 10_000, sampleEveryMs: 0, canaryAlerts: 4, canaryWindows: 3 });

/** Second `t` of `sensor`: score, and whether an alert is open (opening at `open`, closing at `close`). */
function observe(r: Reservoir, sensor: string, t: number, score: number, alert?: { open: boolean; type?: 'open' | 'close' }): void {
  const verdict = { sensor, tsFirst: (t - W + 1) * 1000, tsLast: t * 1000, data: new Float32Array(W * C).fill(t), seq: t, receivedAt: 0, score, perChannel: new Float32Array(C), provider: 'test', threshold: 1, anomaly: score > 1 };
  r.observe({ verdict, alertOpen: alert?.open ?? false, ...(alert?.type ? { alert: { type: alert.type } as Detection['alert'] } : {}) }, scaler);
}

/** An alert of `sensor` over seconds [from, to] (anomalous at 3 x the threshold), closed at to + 1. */
function alert(r: Reservoir, sensor: string, from: number, to: number): void {
  for (let t = from; t <= to + 1; t++) observe(r, sensor, t, t <= to ? 3 : 0.1, { open: t <= to, type: t === from ? 'open' : t === to + 1 ? 'close' : undefined });
}

const canaries = (r: Reservoir) => r.snapshot().canaries.map((c) => `${c.sensor}@${c.from / 1000}${c.to === null ? '(open)' : ''}`);

function commands(r: Reservoir | undefined) {
  const lines: string[] = [];
  const log = createLogger('info', { write: (s: string) => void lines.push(s) });
  // The other commands are not this test's: any that reaches them fails it.
  const others: OperatorCommands = { command: (what) => { throw new Error(`${what} reached the re-anchoring commands`); }, progress: () => undefined };
  return { lines, run: withCanaryRelease(() => others, () => (r ? { reservoir: () => r } : undefined), log) };
}

describe('release: an operator drops a sensor\'s canaries', () => {
  it('drops the kept alerts and the open one of that sensor only, logs who asked, and collects no more of the open alert', () => {
    const r = new Reservoir(model, cfg);
    alert(r, 's1', 10, 14);
    alert(r, 's2', 10, 14);
    alert(r, 's1', 30, 33);
    // s1's third alert is still open.
    observe(r, 's1', 50, 3, { open: true, type: 'open' });
    observe(r, 's1', 51, 3, { open: true });
    expect(canaries(r)).toEqual(['s1@10', 's2@10', 's1@30', 's1@50(open)']);
    const held = r.bytes;

    const c = commands(r);
    const out = c.run.command('release', 's1', undefined, 'hmi-7');
    expect(out).toMatchObject({ ok: true, sensor: 's1' });
    expect(out.ok && out.message).toMatch(/^sensor s1: 3 canaries released \(alerts 1970-01-01T00:00:10.000Z\.\.1970-01-01T00:00:15.000Z, .*\.\.open\); adaptation no longer has to keep flagging them$/);
    expect(canaries(r)).toEqual(['s2@10']);
    // The budget they took is free again (maxBytes bounds canaries and windows together).
    expect(r.bytes).toBe(held - (3 + 3 + 2) * storedWindowBytes(W, C));
    expect(c.lines).toHaveLength(1);
    expect(JSON.parse(c.lines[0])).toMatchObject({ level: 40, sensor: 's1', by: 'hmi-7', released: [{ windows: 3 }, { windows: 3 }, { windows: 2, to: null }] });
    expect(c.lines[0]).toMatch(/released by hmi-7/);

    // The released alert goes on: its windows are not collected again, nor kept when it closes.
    for (let t = 52; t <= 55; t++) observe(r, 's1', t, 3, { open: true });
    observe(r, 's1', 56, 0.1, { open: false, type: 'close' });
    expect(canaries(r)).toEqual(['s2@10']);
    // The next alert of s1 is a canary again.
    alert(r, 's1', 80, 83);
    expect(canaries(r)).toEqual(['s2@10', 's1@80']);
  });

  it('refuses, saying what was expected: a sensor without canaries, an argument, adaptation off', () => {
    const r = new Reservoir(model, cfg);
    alert(r, 's2', 10, 14);
    const c = commands(r);
    expect(c.run.command('release', 's1', undefined, 'x')).toEqual({ ok: false, status: 404, error: 'sensor "s1" has no canary kept (canaries are kept for "s2"): check the name' });
    expect(c.run.command('release', 's2', 5, 'x')).toMatchObject({ ok: false, status: 400, error: 'release takes nothing (an empty JSON object), got 5' });
    expect(canaries(r)).toEqual(['s2@10']);
    expect(commands(undefined).run.command('release', 's2')).toMatchObject({ ok: false, status: 409, error: expect.stringMatching(/adaptation is off/) });
    // Refusals are logged (rate-limited): the first at once.
    expect(c.lines.join('')).toMatch(/release command\(s\) refused .*release \\"s1\\" by x: 404/);
  });

  it('is a command of the HTTP servers and the MQTT topic, taking no count', () => {
    expect(commandOf('/sensors/pump%201/release')).toEqual({ sensor: 'pump 1', what: 'release' });
    expect(commandArg('release', {})).toEqual({ arg: undefined });
    expect(commandArg('release', { windows: 3 })).toEqual({ error: 'windows: release takes nothing, not windows' });
    expect(commandArg('release', { minutes: 3 })).toEqual({ error: 'minutes: release takes nothing, not minutes' });
  });
});
