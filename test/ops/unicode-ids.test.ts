/**
 * Sensor ids in a plant's own language through `vigil run` (embedded aedes broker): `pumpe-Überlauf-3` and `насос-1`
 * are read, judged and alerted on their own alert topics (a probe found them refused as bad_sensor_id, with no way to
 * map them), while an id carrying a bidi override is still refused.
 */
import { describe, expect, it } from 'vitest';
import mqtt from 'mqtt';
import { Subject } from 'rxjs';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { fileBroker } from './aedes.ts';
import { injectSpike, readingJson, recordedModel, recordedSeries, recordedStd, silent, testConfig, uniquePrefix, within } from './harness.ts';

const published = new Subject<string>();
const broker = fileBroker((topic) => published.next(topic));

describe('sensor ids beyond ASCII', () => {
  it('are read and alerted on their own topics; a bidi override is still refused', async () => {
    const prefix = uniquePrefix('unicode');
    const handle = await startRuntime(testConfig(broker.url, prefix, recordedModel(), { alerts: { topic: `${prefix}/alerts/{sensor}` } }), { logger: silent });
    const pub = await mqtt.connectAsync(broker.url);
    try {
      const rec = recordedSeries(40);
      const values = injectSpike(rec.values, 30, 20 * recordedStd());
      const alerts = ['pumpe-Überlauf-3', 'насос-1'].map((s) => within(published, 10_000, `the alert of ${s}`, (t) => t === `${prefix}/alerts/${s}`));
      for (let i = 0; i < 40; i++) {
        for (const s of ['pumpe-Überlauf-3', 'насос-1', 'pump\u202E1']) await pub.publishAsync(`${prefix}/${s}/data`, readingJson(rec.ts[i], values[i]), { qos: 1 });
      }
      await Promise.all(alerts);
      await waitFor(() => handle.edge.rejected.get('bad_sensor_id') === 40 && handle.counters.scored === 2 * (40 - 16 + 1), 'every reading handled', 10_000, () => ({ refused: handle.edge.rejected.get('bad_sensor_id'), scored: handle.counters.scored }));
    } finally {
      await handle.stop();
      await pub.endAsync();
    }
  });
});
