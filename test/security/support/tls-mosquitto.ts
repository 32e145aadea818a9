/**
 * The TLS tests' broker: a Mosquitto (no persistence) whose listener serves a throw-away PKI's server certificate
 * and takes one user's password, no anonymous clients; both made in `dir`.
 */
import { startMosquitto, type TestMosquitto } from '@vigil/fixtures/mosquitto.ts';
import { makePki, writePasswordFile, type TestPki } from './certs.ts';

/** Start it for `user` / `password`; `extra` listener lines add to the TLS ones (e.g. `require_certificate true`). */
export async function startTlsMosquitto(dir: string, user: string, password: string, extra: string[] = []): Promise<{ mosq: TestMosquitto; pki: TestPki }> {
  const pki = makePki(dir);
  const pw = writePasswordFile(dir, user, password);
  const mosq = await startMosquitto({
    persistence: false,
    listener: [`cafile ${pki.ca}`, `certfile ${pki.serverCert}`, `keyfile ${pki.serverKey}`, ...extra, `password_file ${pw}`, 'allow_anonymous false'],
  });
  return { mosq, pki };
}
