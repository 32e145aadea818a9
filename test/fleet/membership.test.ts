/**
 * Fleet membership on a private Mosquitto, in process: members agree on the partition owners; a member that
 * stops renewing its heartbeat (no last will, e.g. the broker lost it) is expired after the lease and its
 * stale retained heartbeat cleared; a member with another partition count is ignored; an unhealthy member
 * (data connection down) gives its partitions away and takes them back when healthy again; after a broker
 * restart the members find each other again and re-form the same split.
 */
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FleetSchema } from '../../runtime/fleet/config.ts';
import { joinFleet, type FleetMembership } from '../../runtime/fleet/membership.ts';
import { assignPartitions } from '../../runtime/fleet/partition.ts';
import { BrokerSchema } from '../../runtime/config/schema.ts';
import { startMosquitto, type TestMosquitto } from '@vigil/fixtures/mosquitto.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';

let mosq: TestMosquitto;
beforeAll(async () => {
  mosq = await startMosquitto({ persistence: false });
});
afterAll(async () => mosq?.close());

const P = 16;
const fleet = (group: string) => FleetSchema.parse({ group, partitions: P, heartbeatMs: 100, leaseMs: 600, settleMs: 200 });
const owned = (m: FleetMembership) => m.current().owned.join();

describe('fleet membership', () => {
  it('agrees on owners, expires a silent member after its lease, ignores a mismatched one, and follows health', { timeout: 60_000 }, async () => {
    const broker = BrokerSchema.parse({ url: mosq.url });
    const group = 'g-lease';
    const a = await joinFleet({ broker, fleet: fleet(group), workerId: 'a' });
    const b = await joinFleet({ broker, fleet: fleet(group), workerId: 'b' });
    try {
      const expected = assignPartitions(['a', 'b'], P);
      await waitFor(() => owned(a) === expected.get('a')!.join() && owned(b) === expected.get('b')!.join(), 'a and b to split the partitions', 10_000, () => [a.current(), b.current()]);

      // A ghost: a retained heartbeat with no will, never renewed.
      const ghost = await mqtt.connectAsync(mosq.url, { clientId: 'ghost' });
      const hb = (worker: string, partitions: number) => JSON.stringify({ worker, group, partitions, at: Date.now(), host: 'x', pid: 1 });
      await ghost.publishAsync(`vigil/fleet/${group}/members/ghost`, hb('ghost', P), { qos: 1, retain: true });
      await ghost.publishAsync(`vigil/fleet/${group}/members/odd`, hb('odd', P + 1), { qos: 1, retain: true });
      await waitFor(() => a.current().members.join() === 'a,b,ghost' && b.current().members.join() === 'a,b,ghost', 'the ghost to be counted', 5_000, () => a.current());
      expect(a.current().members).not.toContain('odd');
      const withGhost = assignPartitions(['a', 'b', 'ghost'], P);
      await waitFor(() => owned(a) === withGhost.get('a')!.join(), 'a to yield the ghost its partitions', 5_000);
      await waitFor(() => owned(a) === expected.get('a')!.join() && owned(b) === expected.get('b')!.join(), 'the ghost to expire', 10_000, () => [a.current(), b.current()]);
      // Its stale retained heartbeat was cleared, so a newcomer does not count it either.
      const retained: string[] = [];
      const probe = await mqtt.connectAsync(mosq.url, { clientId: 'probe' });
      probe.on('message', (t, p) => p.length && retained.push(t.split('/').at(-1)!));
      await probe.subscribeAsync(`vigil/fleet/${group}/members/+`, { qos: 1 });
      await waitFor(() => retained.includes('a') && retained.includes('b'), 'retained heartbeats of a and b', 5_000);
      expect(retained).not.toContain('ghost');
      await probe.endAsync();
      await ghost.endAsync();

      // Unhealthy: a gives everything to b, then takes its share back.
      a.setHealthy(false);
      await waitFor(() => owned(a) === '' && owned(b) === Array.from({ length: P }, (_, i) => i).join(), 'b to own everything', 5_000, () => [a.current(), b.current()]);
      a.setHealthy(true);
      await waitFor(() => owned(a) === expected.get('a')!.join() && owned(b) === expected.get('b')!.join(), 'a to take its share back', 5_000);

      // The broker restarts (retained heartbeats gone): both let go while unlinked, then re-form the same split.
      await mosq.stop();
      await waitFor(() => owned(a) === '' && owned(b) === '', 'both to let go while the broker is down', 10_000, () => [a.current(), b.current()]);
      await mosq.start();
      await waitFor(() => owned(a) === expected.get('a')!.join() && owned(b) === expected.get('b')!.join(), 'the same split after the restart', 20_000, () => [a.current(), b.current()]);
    } finally {
      await a.leave();
      await b.leave();
    }
  });
});
