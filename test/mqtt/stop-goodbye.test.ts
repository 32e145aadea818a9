/**
 * How long a stop waits for the broker (runtime/ops/assemble.ts, the broker part): what is in flight at a stop (the
 * gateway's offline status, QoS 1, and its unsubscribe) is waited for until the broker acknowledges it, and no
 * longer. A probe: every SIGTERM took 2 s from "stopping" to "stopped" with nothing to drain, on a broker that
 * acknowledged within a millisecond, as mqtt.js says `outgoingEmpty` only once it is itself disconnecting.
 */
import { describe, expect, it } from 'vitest';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { clearRetained } from '../ops/retained.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { brokerAndModel, silent, testConfig, uniquePrefix } from '../ops/harness.ts';
import { watchTopics } from './watch-topics.ts';

const MOSQUITTO = 'mqtt://127.0.0.1:1883';
const rig = brokerAndModel();

describe('a stop on a broker that answers at once', () => {
  it('ends once the broker has acknowledged its offline status, not after the whole grace', async () => {
    const prefix = uniquePrefix('stopgoodbye');
    const topic = `${prefix}/status/gw-s`;
    const w = await watchTopics(MOSQUITTO, topic);
    const handle = await startRuntime(testConfig(MOSQUITTO, prefix, rig.model, { gateway: { id: 'gw-s', statusTopic: `${prefix}/status/{gateway}` } }), { logger: silent });
    try {
      await waitFor(() => w.got.some((m) => m.body.state === 'online'), 'online', 5000);
      const t0 = performance.now();
      await handle.stop();
      const ms = performance.now() - t0;
      await waitFor(() => w.got.some((m) => m.body.state === 'offline'), 'the offline status', 5000);
      expect(ms).toBeLessThan(1000);
    } finally {
      await w.client.endAsync();
      await clearRetained(MOSQUITTO, topic);
    }
  });
});
