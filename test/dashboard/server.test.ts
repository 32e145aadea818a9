import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { Subject } from 'rxjs';
import { startDashboard, type Dashboard, type TickMessage } from '../../dashboard/server.ts';
import type { AlertEvent, Reading, Verdict } from '../../runtime/stream/types.ts';
import { outsideChannels } from '../../runtime/scoring/seen-range.ts';
import { sensorFacts } from '../../dashboard/page/facts.ts';

const verdicts = new Subject<Verdict>();
const alerts = new Subject<AlertEvent>();
const readings = new Subject<Reading>();
let dash: Dashboard;

beforeAll(async () => {
  dash = await startDashboard(
    {
      verdicts, alerts, readings, channels: ['flow', 'temp'],
      status: () => ({ provider: 'ort-node/cpu', batchSize: 32, model: { name: 'pump', version: '1.2.0' } }),
      learning: (s) => (s === 'pump-2' ? { kind: 'mad', level: 1, kindLevel: 1.6, learnt: 120, keptOut: 7, pending: 0 } : undefined),
      levelDrift: (s) => (s === 'pump-2' ? [{ channel: 'temp', weight: 0.35, movedSd: 4.2 }] : []),
      inputShifts: (s) => (s === 'pump-2' ? [{ channel: 'temp', offset: 1.3 }] : []),
      labels: (s) => (s === 'pump-2' ? [{ start: 10_000, end: 20_000 }] : []),
      // The card in service names a window's channels outside training (runtime/scoring/seen-range.ts).
      outside: (v) => outsideChannels(v, { channels: ['flow', 'temp'], scaler: { offset: [50, 20], scale: [10, 1] }, scoring: { seen: { low: [-1, -1], high: [1, 1], method: 't' } } }),
    },
    { port: 0, tickMs: 50 },
  );
});
afterAll(async () => {
  await dash?.close();
});

async function get(path: string): Promise<{ status: number; type: string; body: Buffer }> {
  const res = await fetch(new URL(path, dash.url));
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: Buffer.from(await res.arrayBuffer()) };
}

/** Read SSE ticks until `until` accepts one (bounded by the test timeout). */
function nextTick(path: string, until: (m: TickMessage) => boolean): Promise<TickMessage> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(path, dash.url), (res) => {
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (!data) continue;
          const msg = JSON.parse(data) as TickMessage;
          if (until(msg)) {
            req.destroy();
            resolve(msg);
            return;
          }
        }
      });
    });
    req.on('error', (err) => (err.message.includes('aborted') ? undefined : reject(err)));
    req.end();
  });
}

describe('dashboard server', () => {
  it('serves the page, its bundle and styles from the package, with no CDN references', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.type).toMatch(/text\/html/);
    const html = page.body.toString();
    expect(html).toContain('assets/app.js');
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const js = await get('/assets/app.js');
    expect(js.status).toBe(200);
    expect(js.type).toMatch(/javascript/);
    expect(js.body.length).toBeGreaterThan(10_000);
    // ORT is loaded from beside the bundle, never from a CDN.
    expect(js.body.toString()).toContain('./ort/ort.wasm.min.mjs');
    expect(js.body.toString()).not.toMatch(/cdn\.jsdelivr|unpkg\.com/);
    const zipped = await new Promise<{ enc?: string; size: number }>((resolve, reject) => {
      request(new URL('/assets/app.js', dash.url), { headers: { 'accept-encoding': 'gzip' } }, (res) => {
        let size = 0;
        res.on('data', (c: Buffer) => (size += c.length));
        res.on('end', () => resolve({ enc: res.headers['content-encoding'], size }));
      })
        .on('error', reject)
        .end();
    });
    expect(zipped.enc).toBe('gzip');
    expect(zipped.size).toBeLessThan(js.body.length / 2);
    const css = await get('/assets/app.css');
    expect(css.body.toString()).toContain('.u-legend');
  });

  it('serves onnxruntime-web wasm with the wasm MIME type and nothing outside its folder', async () => {
    const wasm = await get('/assets/ort/ort-wasm-simd-threaded.wasm');
    expect(wasm.status).toBe(200);
    expect(wasm.type).toBe('application/wasm');
    expect(wasm.body.subarray(0, 4)).toEqual(Buffer.from([0, 0x61, 0x73, 0x6d]));
    expect((await get('/assets/ort/..%2F..%2Fpackage.json')).status).toBe(404);
    expect((await get('/assets/ort/LICENSE')).status).toBe(404);
    expect((await get('/nope')).status).toBe(404);
  });

  it('streams the sensor list, status and the selected sensor over SSE', async () => {
    for (let i = 0; i < 40; i++) {
      readings.next({ sensor: 'pump-1', ts: 1000 * i, values: { flow: i, temp: 20 }, receivedAt: Date.now() });
      readings.next({ sensor: 'pump-2', ts: 1000 * i, values: { flow: 2 * i, temp: 21 }, receivedAt: Date.now() });
    }
    verdicts.next({ sensor: 'pump-2', tsFirst: 0, tsLast: 39_000, data: new Float32Array(4), seq: 39, receivedAt: Date.now(), score: 3, perChannel: new Float32Array([2.5, 0.5]), provider: 'ort-node/cpu', threshold: 1, anomaly: true, outside: Float32Array.from([4, NaN]) });
    alerts.next({ type: 'open', sensor: 'pump-2', tsFirst: 0, tsLast: 39_000, score: 3, threshold: 1, contributors: [{ channel: 'flow', share: 0.83 }], model: { name: 'pump', version: '1.2.0' }, provider: 'ort-node/cpu' });

    const first = await nextTick('/events?sensor=pump-2', (m) => m.sensors.length === 2);
    expect(first.sensors[0]).toMatchObject({ name: 'pump-2', state: 'alert', score: 3, threshold: 1 });
    expect(first.status).toMatchObject({ provider: 'ort-node/cpu', batchSize: 32, openAlerts: 1, sensors: 2, model: { name: 'pump', version: '1.2.0' } });
    expect(first.selected).toMatchObject({ name: 'pump-2', channels: ['flow', 'temp'], reset: true });
    expect(first.selected!.raw).toHaveLength(40);
    expect(first.selected!.raw[39]).toEqual([39_000, 78, 21]);
    expect(first.selected!.spans).toEqual([expect.objectContaining({ start: 39_000, end: null })]);
    // What the selected sensor's adaptive bar learnt travels with it (and only with a sensor that has one).
    expect(first.selected!.learning).toEqual({ kind: 'mad', level: 1, kindLevel: 1.6, learnt: 120, keptOut: 7, pending: 0 });
    // So do the channels level drift excuses (none: absent).
    expect(first.selected!.levelDrift).toEqual([{ channel: 'temp', weight: 0.35, movedSd: 4.2 }]);
    expect(first.selected!.inputShifts).toEqual([{ channel: 'temp', offset: 1.3 }]);
    // Its labelled incident windows, to shade on its plots.
    expect(first.selected!.labels).toEqual([{ start: 10_000, end: 20_000 }]);
    // Where its latest window's inputs are outside training, and what the page says of it.
    expect(first.selected!.outside).toEqual([{ channel: 'flow', value: 90, low: 40, high: 60 }]);
    expect(sensorFacts(first.sensors[0], first.selected)).toContainEqual(['outside training', 'flow 90.0 (trained 40.0 to 60.0)']);
    const other = (await nextTick('/events?sensor=pump-1', (m) => m.selected?.name === 'pump-1')).selected!;
    expect(other.labels).toBeUndefined();
    expect(other.learning).toBeUndefined();
    expect(other.levelDrift).toBeUndefined();
    expect(other.inputShifts).toBeUndefined();
    expect(other.outside).toBeUndefined();
    expect(first.alerts[0]).toMatchObject({ sensor: 'pump-2', contributors: [{ channel: 'flow', share: 0.83 }] });

    const api = JSON.parse((await get('/api/status')).body.toString()) as TickMessage;
    expect(api.sensors.map((s) => s.name)).toEqual(['pump-2', 'pump-1']);
  });

  it('sends only new points after the first tick', async () => {
    let seen = 0;
    const msg = await nextTick('/events?sensor=pump-1', (m) => {
      seen++;
      if (seen === 1) readings.next({ sensor: 'pump-1', ts: 99_000, values: { flow: 7, temp: 1 }, receivedAt: Date.now() });
      return seen > 1 && !!m.selected && !m.selected.reset && m.selected.raw.length > 0;
    });
    expect(msg.selected!.raw).toEqual([[99_000, 7, 1]]);
  });

  it('lists at most listLimit sensors, filters on the server, and always lists the selected one', async () => {
    const subj = new Subject<Verdict>();
    const d = await startDashboard({ verdicts: subj, alerts: new Subject() }, { port: 0, listLimit: 5 });
    try {
      const before = (await (await fetch(new URL('/api/status', d.url))).json()) as TickMessage;
      expect(before.status.idleS).toBeNull(); // the page then says 'waiting for data', not 'live'
      for (let k = 0; k < 40; k++) subj.next({ sensor: `line-${String(k).padStart(2, '0')}`, tsFirst: 0, tsLast: 1, data: new Float32Array(1), seq: 0, receivedAt: Date.now(), score: 0.1, perChannel: new Float32Array([0.1]), provider: 'p', threshold: 1, anomaly: false });
      const get2 = async (q: string) => (await (await fetch(new URL(`/api/status${q}`, d.url))).json()) as TickMessage;
      const all = await get2('');
      expect(all.sensors).toHaveLength(5);
      expect(all.listed).toEqual({ total: 40, matched: 40 });
      expect(all.status.sensors).toBe(40);
      expect(all.status.idleS).toBe(0);
      const f = await get2('?filter=LINE-3');
      expect(f.sensors.map((x) => x.name)).toEqual(['line-30', 'line-31', 'line-32', 'line-33', 'line-34']);
      expect(f.listed).toEqual({ total: 40, matched: 10 });
      const sel = await get2('?filter=line-3&sensor=line-07');
      expect(sel.sensors.map((x) => x.name)).toContain('line-07');
      expect(sel.selected?.name).toBe('line-07');
    } finally {
      await d.close();
    }
  });

  it('refuses a port in use with a message that says what to do', async () => {
    await expect(startDashboard({ verdicts, alerts }, { port: dash.port })).rejects.toThrow(/in use.*--dashboard/);
  });
});

describe('dashboard of a runtime restarted with silent sensors', () => {
  it('lists a sensor silent before the start although it sends nothing (a probe: it vanished after a restart)', async () => {
    const lastHeardAt = Date.now() - 16 * 60_000;
    const own = await startDashboard(
      {
        verdicts: new Subject<Verdict>(), alerts: new Subject<AlertEvent>(), readings: new Subject<Reading>(), channels: ['flow'],
        isSilent: (s) => s === 'dead-transmitter',
        silentSensors: () => [{ sensor: 'dead-transmitter', lastHeardAt }],
      },
      { port: 0, tickMs: 50 },
    );
    try {
      const api = JSON.parse(Buffer.from(await (await fetch(new URL('/api/status', own.url))).arrayBuffer()).toString()) as TickMessage;
      expect(api.sensors).toEqual([expect.objectContaining({ name: 'dead-transmitter', state: 'silent', silent: true, seenAt: lastHeardAt })]);
    } finally {
      await own.close();
    }
  });
});
