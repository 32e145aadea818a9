/**
 * /health while the broker is away says why and for how long (runtime/ops/health.ts, runtime/mqtt/connect.ts). A probe
 * rotated the broker's password: /health read `"broker":{"connected":false}` and nothing else, and a probe that only
 * reads /health (systemd, a monitoring scrape) could not tell a broker down from one refusing vigil's login.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { testBroker, type TestBroker } from './aedes.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { recordedModel, silent, testConfig, uniquePrefix } from './harness.ts';

let broker: TestBroker | undefined;
afterAll(async () => broker?.stop());

describe('/health while the broker is away', () => {
  it('gives the last error and how long it has been away, and drops them once back', async () => {
    broker = await testBroker();
    const handle = await startRuntime(testConfig(broker.url, uniquePrefix('healthcause'), recordedModel()), { logger: silent });
    try {
      expect(handle.health().broker).toEqual({ connected: true, url: broker.url });
      await broker.stop();
      await waitFor(() => (handle.health().broker as { lastError?: string }).lastError !== undefined, 'the cause in /health', 5000, () => handle.health().broker);
      expect(handle.health()).toMatchObject({ status: 'degraded', broker: { connected: false, lastError: expect.stringMatching(/ECONNREFUSED/), awayMs: expect.any(Number) } });
      await broker.start();
      await waitFor(() => (handle.health().broker as { connected: boolean }).connected, 'back', 10_000);
      expect(handle.health().broker).toEqual({ connected: true, url: broker.url });
    } finally {
      await handle.stop();
    }
  });
});
