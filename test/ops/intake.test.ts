/**
 * The intake on the broker client (runtime/ops/intake.ts): one 'connect' listener ends the time the broker was away
 * (the reorder stage's clock stops for it) and counts a persistent session the broker lost, and close takes it off.
 */
import { describe, expect, it, vi } from 'vitest';
import mqtt from 'mqtt';
import { openIntake } from '../../runtime/ops/intake.ts';
import { createEdgeCounters } from '../../runtime/ops/metrics.ts';
import { testBroker } from './aedes.ts';
import { silent, testConfig, uniquePrefix } from './harness.ts';

describe('the intake on the broker client', () => {
  it("adds one 'connect' listener, which ends the broker's absence and counts a lost session; close removes it", async () => {
    const broker = await testBroker();
    const prefix = uniquePrefix('intake-connect');
    const client = await mqtt.connectAsync(broker.url, { clientId: prefix.replace(/\W/g, '-'), clean: false, reconnectPeriod: 50 });
    try {
      const config = testConfig(broker.url, prefix, 'unused', { broker: { url: broker.url, clean: false } });
      const before = client.listenerCount('connect');
      const edge = createEdgeCounters();
      const intake = openIntake(client, config, [], { log: silent, edge });
      // Once, for both the end of an absence and the session check (two listeners before).
      expect(client.listenerCount('connect')).toBe(before + 1);
      expect(intake.stillness.paused).toBe(false);
      // The broker goes away and comes back without our session (this one keeps none across a restart).
      await broker.stop();
      await vi.waitFor(() => expect(intake.stillness.paused).toBe(true), { timeout: 5000 });
      await broker.start();
      await vi.waitFor(() => expect(client.connected).toBe(true), { timeout: 5000 });
      expect(intake.stillness.paused).toBe(false);
      expect(intake.stillness.pausedMs()).toBeGreaterThan(0);
      expect(edge.sessionsLost).toBe(1);
      intake.close();
      expect(client.listenerCount('connect')).toBe(before);
    } finally {
      await client.endAsync(true);
      await broker.stop();
    }
  });
});
