import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'node:http';
import { Subject } from 'rxjs';
import { startDashboard, type Dashboard, type TickMessage } from '../../runtime/dashboard/server.ts';
import type { AlertEvent, Reading, Verdict } from '../../runtime/stream/types.ts';

const verdicts = new Subject<Verdict>();
const alerts = new Subject<AlertEvent>();
const readings = new Subject<Reading>();
let dash: Dashboard;

beforeAll(async () => {
  dash = await startDashboard(
    { verdicts, alerts, readings, channels: ['flow', 'temp'], status: () => ({ provider: 'ort-node/cpu', batchSize: 32, model: { name: 'pump', version: '1.2.0' } }) },
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
    verdicts.next({ sensor: 'pump-2', tsFirst: 0, tsLast: 39_000, data: new Float32Array(4), seq: 39, receivedAt: Date.now(), score: 3, perChannel: new Float32Array([2.5, 0.5]), provider: 'ort-node/cpu', threshold: 1, anomaly: true });
    alerts.next({ type: 'open', sensor: 'pump-2', tsFirst: 0, tsLast: 39_000, score: 3, threshold: 1, contributors: [{ channel: 'flow', share: 0.83 }], model: { name: 'pump', version: '1.2.0' }, provider: 'ort-node/cpu' });

    const first = await nextTick('/events?sensor=pump-2', (m) => m.sensors.length === 2);
    expect(first.sensors[0]).toMatchObject({ name: 'pump-2', state: 'alert', score: 3, threshold: 1 });
    expect(first.status).toMatchObject({ provider: 'ort-node/cpu', batchSize: 32, openAlerts: 1, sensors: 2, model: { name: 'pump', version: '1.2.0' } });
    expect(first.selected).toMatchObject({ name: 'pump-2', channels: ['flow', 'temp'], reset: true });
    expect(first.selected!.raw).toHaveLength(40);
    expect(first.selected!.raw[39]).toEqual([39_000, 78, 21]);
    expect(first.selected!.spans).toEqual([expect.objectContaining({ start: 39_000, end: null })]);
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

  it('refuses a port in use with a message that says what to do', async () => {
    await expect(startDashboard({ verdicts, alerts }, { port: dash.port })).rejects.toThrow(/in use.*--dashboard/);
  });
});
