/**
 * An outage whose cause changes is said again at once (runtime/mqtt/connect.ts). A probe rotated the broker's password
 * and restarted it: vigil logged "broker error: ECONNREFUSED" while the broker was down, then, for the next 30 s of
 * refused logins, nothing, so the log read as a broker still down; the cause ("not authorized") came 33 s in.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BrokerSchema } from '../../runtime/config/schema.ts';
import { connectBroker } from '../../runtime/mqtt/connect.ts';
import { freePort } from '@vigil/fixtures/ports.ts';
import { startMosquitto, type TestMosquitto } from '@vigil/fixtures/mosquitto.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { writePasswordFile } from '../security/support/certs.ts';
import { capturingLogger } from '../ops/harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-outage-cause-'));
let mosq: TestMosquitto | undefined;
afterAll(async () => {
  await mosq?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('an outage whose cause changes', () => {
  it('says the new cause at once: a broker back with a rotated password refuses the login, not the connection', { timeout: 30_000 }, async () => {
    const port = await freePort();
    const { lines, logger } = capturingLogger('info');
    const client = connectBroker(BrokerSchema.parse({ url: `mqtt://127.0.0.1:${port}`, username: 'gw', password: 'the-old-one', reconnect: { minMs: 50, maxMs: 200 } }), logger);
    try {
      const errors = () => lines.filter((l) => String(l.msg).startsWith('broker error'));
      await waitFor(() => errors().length === 1, 'the refused connection said', 5000);
      expect(errors()[0].msg).toMatch(/ECONNREFUSED/);
      mosq = await startMosquitto({ port, persistence: false, listener: [`password_file ${writePasswordFile(dir, 'gw', 'the-new-one')}`, 'allow_anonymous false'] });
      await waitFor(() => errors().length === 2, 'the refused login said', 5000, () => ({ lines: lines.map((l) => l.msg) }));
      expect(errors()[1].msg).toMatch(/not authorized; check broker\.username and the password/);
      // Said once: the next refusals of the same cause wait for the usual 30 s.
      await new Promise((r) => setTimeout(r, 1000));
      expect(errors()).toHaveLength(2);
    } finally {
      client.end(true);
    }
  });
});
