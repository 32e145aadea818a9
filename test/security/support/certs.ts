/**
 * Throw-away PKI for the TLS tests, made with the openssl CLI in a temp dir: a CA, a server certificate for
 * localhost / 127.0.0.1, a client certificate signed by the CA, and a rogue CA with its own client
 * certificate (which the broker must refuse, and which a client must not accept as the server's CA).
 */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Paths of the generated files. */
export interface TestPki {
  ca: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  rogueCa: string;
  rogueClientCert: string;
  rogueClientKey: string;
}

function ssl(args: string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Make a key pair (P-256: fast) and a certificate signed by `ca` (or self-signed when `ca` is undefined). */
function issue(dir: string, name: string, cn: string, ca?: string, ext?: string): void {
  ssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', `${name}.key`], dir);
  if (!ca) {
    ssl(['req', '-x509', '-new', '-key', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${cn}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'], dir);
    return;
  }
  ssl(['req', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`], dir);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, `${ext ?? ''}\n`);
  ssl(['x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.crt`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.crt`, '-days', '2', '-extfile', extFile], dir);
}

/** Generate the whole PKI into `dir`. */
export function makePki(dir: string): TestPki {
  issue(dir, 'ca', 'vigil-test-ca');
  issue(dir, 'server', 'localhost', 'ca', 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth');
  issue(dir, 'client', 'vigil-gateway', 'ca', 'extendedKeyUsage=clientAuth');
  issue(dir, 'rogue-ca', 'rogue-ca');
  issue(dir, 'rogue-client', 'vigil-gateway', 'rogue-ca', 'extendedKeyUsage=clientAuth');
  const p = (f: string) => join(dir, f);
  return {
    ca: p('ca.crt'),
    serverCert: p('server.crt'),
    serverKey: p('server.key'),
    clientCert: p('client.crt'),
    clientKey: p('client.key'),
    rogueCa: p('rogue-ca.crt'),
    rogueClientCert: p('rogue-client.crt'),
    rogueClientKey: p('rogue-client.key'),
  };
}

/** A Mosquitto password file in `dir` holding one user (hashed by mosquitto_passwd); returns its path. */
export function writePasswordFile(dir: string, user: string, password: string): string {
  const file = join(dir, 'passwd');
  writeFileSync(file, '');
  execFileSync('mosquitto_passwd', ['-b', file, user, password], { stdio: 'ignore' });
  return file;
}
