/**
 * The broker's TLS files checked when the client is made (runtime/mqtt/connect.ts): a mistake names its config keys.
 * A probe: a client key that is not the certificate's stopped `vigil run` with OpenSSL's "key values mismatch" and no
 * key named, and a broker.tls.ca holding no certificate (a key, a truncated copy) said "set broker.tls.ca", which was set.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BrokerSchema } from '../../runtime/config/schema.ts';
import { clientOptions } from '../../runtime/mqtt/connect.ts';
import { makePki } from '../security/support/certs.ts';

const dir = mkdtempSync(join(tmpdir(), 'vigil-tls-files-'));
const pki = makePki(dir);
const options = (tls: Record<string, unknown>) => () => clientOptions(BrokerSchema.parse({ url: 'mqtts://localhost:8883', tls }));

describe('TLS files that cannot work', () => {
  it('a CA, a client certificate and its key that belong together make a client (control)', () => {
    expect(options({ ca: pki.ca, cert: pki.clientCert, key: pki.clientKey })()).toMatchObject({ ca: expect.any(Buffer), cert: expect.any(Buffer), key: expect.any(Buffer) });
  });

  it('a broker.tls.ca with no certificate in it is named, not taken for the wrong CA', () => {
    const garbage = join(dir, 'garbage.pem');
    writeFileSync(garbage, 'not a certificate\n');
    for (const ca of [pki.clientKey, garbage]) expect(options({ ca }), ca).toThrow(new RegExp(`^broker\\.tls\\.ca: ${ca} holds no PEM certificate`));
    // OpenSSL's own form with trust settings (`openssl x509 -addtrust`), which Node reads as a CA, is one.
    const trusted = join(dir, 'trusted.pem');
    execFileSync('openssl', ['x509', '-in', pki.ca, '-addtrust', 'serverAuth', '-out', trusted], { stdio: 'ignore' });
    expect(options({ ca: trusted })).not.toThrow();
  });

  it('a client key that is not the certificate\'s, or one of the pair alone, names broker.tls.cert and broker.tls.key', () => {
    expect(options({ ca: pki.ca, cert: pki.clientCert, key: pki.rogueClientKey })).toThrow(/^broker\.tls\.cert and broker\.tls\.key .*: key values mismatch; expected/);
    expect(options({ ca: pki.ca, cert: pki.clientCert })).toThrow(/^broker\.tls\.key: missing; broker\.tls\.cert and broker\.tls\.key go together/);
    expect(options({ ca: pki.ca, key: pki.clientKey })).toThrow(/^broker\.tls\.cert: missing; broker\.tls\.cert and broker\.tls\.key go together/);
  });
});
