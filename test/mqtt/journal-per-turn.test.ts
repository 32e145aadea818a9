/**
 * The alert sink keeps the messages made in one event-loop turn on disk together, in one append, before any of them is
 * sent (issue 14: an fstat, a stringify and a write per alert were most of an alert's cost on the main thread). What
 * the journal guaranteed per message holds per turn: nothing goes to the broker before it is on disk, in the order made,
 * and a kill -9 between turns loses nothing that was made in an earlier turn.
 */
import { describe, expect, it } from 'vitest';
import { appendFileSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { takeUnsent, unsentJournal, type UnsentJournal } from '../../runtime/mqtt/unsent-alerts.ts';
import { alertPayload } from '../../runtime/mqtt/alert-payload.ts';
import { alertProperties, mqttAlertSink } from '../../runtime/mqtt/alert-sink.ts';
import type { AlertEvent } from '../../runtime/stream/types.ts';
import { capturingLogger } from '../ops/harness.ts';

const event = (n: number): AlertEvent => ({
  type: n % 2 ? 'close' : 'open', sensor: `s${n % 7}`, tsFirst: n * 1000, tsLast: n * 1000 + 999, score: 3, threshold: 1, contributors: [{ channel: 'a', share: 1 }], model: { name: 'm', version: '1' }, provider: 'ort-node/cpu',
});
const turnEnds = () => new Promise((r) => setImmediate(r));
const tsOf = (body: string) => (JSON.parse(body) as { tsLast: number }).tsLast;
/** The tsLast of each message in the journal file, in order. */
const onDisk = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { payload: { tsLast: number } }).payload.tsLast) : []);

/** A connected client that never answers a publish, and checks at each one that its message is already on disk. */
function checkingClient(f: string) {
  return {
    connected: true,
    options: { protocolVersion: 4 },
    published: [] as number[],
    notOnDisk: [] as number[],
    publish(_t: string, body: string) {
      const ts = tsOf(body);
      this.published.push(ts);
      if (!onDisk(f).includes(ts)) this.notOnDisk.push(ts);
    },
    on() {},
    off() {},
  };
}

/** The journal on `f`, counting its appends. */
function counted(f: string): UnsentJournal & { appends: number } {
  const j = unsentJournal(f, capturingLogger('info').logger);
  const c = { ...j, appends: 0, append: (items: Parameters<UnsentJournal['append']>[0]) => (c.appends++, j.append(items)) };
  return c;
}

describe('the alert journal, one append per turn', () => {
  const file = () => join(mkdtempSync(join(tmpdir(), 'vigil-journal-turn-')), 'unsent-alerts.jsonl');
  const opts = { topic: 'j/{sensor}', qos: 1 as const, retain: false, queueMax: 1000, messageExpirySec: 0 };
  const tsLast = (n: number) => n * 1000 + 999;

  it('keeps the N alerts of one turn in one append, all of them, in order, each on disk before it is published', async () => {
    const f = file();
    const client = checkingClient(f);
    const journal = counted(f);
    const sink = mqttAlertSink(client as never, { ...opts, journal });
    for (let n = 1; n <= 50; n++) sink.publish(alertPayload(event(n)));
    // Nothing left the process in the turn the alerts were made.
    expect(client.published).toEqual([]);
    await turnEnds();
    expect(journal.appends).toBe(1);
    const all = Array.from({ length: 50 }, (_, k) => tsLast(k + 1));
    expect(onDisk(f)).toEqual(all);
    expect(client.published).toEqual(all);
    expect(client.notOnDisk).toEqual([]);
    // The next turn's alerts: one more append, after the first.
    for (let n = 51; n <= 60; n++) sink.publish(alertPayload(event(n)));
    await turnEnds();
    expect(journal.appends).toBe(2);
    expect(onDisk(f)).toEqual(Array.from({ length: 60 }, (_, k) => tsLast(k + 1)));
    expect(client.notOnDisk).toEqual([]);
    sink.close();
  });

  it('a kill -9 between turns loses none of the earlier turns; one in the middle of a turn, only that turn\'s, none of which was sent', async () => {
    const f = file();
    const client = checkingClient(f);
    const sink = mqttAlertSink(client as never, { ...opts, journal: unsentJournal(f, capturingLogger('info').logger) });
    for (let n = 1; n <= 5; n++) sink.publish(alertPayload(event(n)));
    await turnEnds();
    client.connected = false;
    for (let n = 6; n <= 9; n++) sink.publish(alertPayload(event(n)));
    await turnEnds();
    // The third turn's alerts are made, and the process is killed before the turn ends: no stop, no close.
    for (let n = 10; n <= 12; n++) sink.publish(alertPayload(event(n)));
    const sent = [...client.published];
    const next = takeUnsent(f, capturingLogger('info').logger);
    expect(next.map((m) => tsOf(m.body))).toEqual(Array.from({ length: 9 }, (_, k) => tsLast(k + 1)));
    expect(sent).toEqual(Array.from({ length: 5 }, (_, k) => tsLast(k + 1)));
  });

  it('a stop in the turn the alerts were made keeps them: what waits includes them, and a drain sends them', async () => {
    const f = file();
    const client = checkingClient(f);
    const sink = mqttAlertSink(client as never, { ...opts, journal: unsentJournal(f, capturingLogger('info').logger) });
    for (let n = 1; n <= 3; n++) sink.publish(alertPayload(event(n)));
    expect(sink.stats().waiting).toBe(3);
    expect(sink.unsent().map((m) => tsOf(m.body))).toEqual([tsLast(1), tsLast(2), tsLast(3)]);
    expect(client.published).toEqual([tsLast(1), tsLast(2), tsLast(3)]);
    expect(client.notOnDisk).toEqual([]);
    sink.publish(alertPayload(event(4)));
    expect(await sink.drain(10)).toBe(false);
    expect(client.published).toHaveLength(4);
    expect(client.notOnDisk).toEqual([]);
    sink.close();
  });

  it('writes a body as it is (not escaped again) and reads each back byte for byte, and reads the lines of an older run', () => {
    const f = file();
    const { logger } = capturingLogger('info');
    const p = alertPayload({ ...event(2), score: 1e21, threshold: 5e-324, contributors: [{ channel: 'a "quoted" \\ back\nline', share: 0.5 }, { channel: '2 é \ud800 😀', share: -0 }] });
    const made = { topic: 'j/s2', body: JSON.stringify(p), properties: alertProperties(p, 60), lifecycle: true };
    const keyed = { topic: 'j/s3', body: JSON.stringify({ b: 1, 10: 'x', 2: 'y', a: [-0, 1e21, '\u2028'] }) };
    const odd = { topic: 'j/s4', body: 'not an object {' };
    unsentJournal(f, logger).append([made, keyed, odd]);
    expect(readFileSync(f, 'utf8').split('\n')[0]).toContain(`"payload":${made.body}}`);
    // A line an older run wrote: the body escaped as a string.
    const older = { topic: 'j/s5', body: '{"type":"open"}', lifecycle: true };
    appendFileSync(f, `${JSON.stringify(older)}\n`);
    expect(takeUnsent(f, logger)).toEqual([made, keyed, odd, older]);
  });
});
