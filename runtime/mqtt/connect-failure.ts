/**
 * Tell connection failures that retrying cannot fix (a refused password, an untrusted certificate, a protocol
 * the broker does not speak) from those that time may fix (refused TCP, timeouts, a busy broker). Start-up
 * gives up at once on the first kind, naming the cause and the config keys to check, instead of waiting out
 * the connect timeout; the second kind is retried with backoff.
 */

/** What a connection error means for the person configuring the gateway. */
export interface ConnectFailure {
  /** true: the same settings will fail again; do not wait for a retry. */
  permanent: boolean;
  /** Short cause, e.g. `broker refused the credentials`. */
  cause: string;
  /** What to check, naming config keys. */
  check: string;
}

const CREDENTIALS = 'check broker.username and the password (VIGIL_MQTT_PASSWORD or broker.password), and that the broker knows this user';

const WRONG_VERSION = { cause: 'the broker does not accept this MQTT protocol version', check: 'set broker.protocolVersion to one the broker speaks (4 = MQTT 3.1.1, 5 = MQTT 5)' };
const BAD_CLIENT_ID = { cause: 'the broker rejected the client id', check: 'check broker.clientId (length, allowed characters, or a broker rule on client ids)' };
const BAD_CREDENTIALS = { cause: 'the broker refused the user name or password', check: CREDENTIALS };
const NOT_AUTHORIZED = { cause: 'the broker says this client is not authorized', check: `${CREDENTIALS}; a broker that needs client certificates also wants broker.tls.cert and broker.tls.key` };

/** CONNACK codes (MQTT 3.1.1: 1-5; MQTT 5: 0x80+) that mean the same CONNECT will be refused again. */
const PERMANENT_CONNACK: Record<number, { cause: string; check: string }> = {
  1: WRONG_VERSION,
  2: BAD_CLIENT_ID,
  4: BAD_CREDENTIALS,
  5: NOT_AUTHORIZED,
  129: { cause: 'the broker could not read our CONNECT packet', check: 'check broker.protocolVersion' },
  130: { cause: 'the broker reported a protocol error', check: 'check broker.protocolVersion' },
  132: WRONG_VERSION,
  133: BAD_CLIENT_ID,
  134: BAD_CREDENTIALS,
  135: NOT_AUTHORIZED,
  138: { cause: 'the broker has banned this client', check: 'ask the broker operator; check broker.clientId and broker.username' },
  140: { cause: 'the broker does not accept this authentication method', check: 'check the broker\'s authentication settings against broker.username / broker.tls' },
};

/** Node / OpenSSL codes for a broker certificate we do not trust. */
const UNTRUSTED_SERVER = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_REVOKED',
  'INVALID_CA',
]);

/** Whether `err` says the broker's certificate is signed by no CA this client trusts (it wants the broker's CA). */
export function untrustedServer(err: Error & { code?: string | number }): boolean {
  return typeof err.code === 'string' && UNTRUSTED_SERVER.has(err.code);
}
const EXPIRED = new Set(['CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID']);
const WRONG_HOST = new Set(['ERR_TLS_CERT_ALTNAME_INVALID', 'HOSTNAME_MISMATCH']);

/** Classify an error from mqtt.js / node:net / node:tls met while connecting. */
export function classifyConnectError(err: Error & { code?: string | number }): ConnectFailure {
  const code = err.code;
  if (typeof code === 'number' && /^Connection refused/.test(err.message)) {
    const known = PERMANENT_CONNACK[code];
    if (known) return { permanent: true, ...known };
    return { permanent: false, cause: `the broker refused the connection for now (MQTT reason ${code})`, check: 'the broker may be busy or restarting; retrying with backoff' };
  }
  const c = typeof code === 'string' ? code : '';
  if (untrustedServer(err)) {
    return { permanent: true, cause: "the broker's TLS certificate is not signed by a trusted CA", check: "set broker.tls.ca to the CA certificate that signed the broker's certificate" };
  }
  if (EXPIRED.has(c)) return { permanent: true, cause: "the broker's TLS certificate is expired or not yet valid", check: "renew the broker's certificate, or check this machine's clock" };
  if (WRONG_HOST.has(c)) {
    return { permanent: true, cause: "the broker's TLS certificate is for another host name", check: 'use the host name in broker.url that the certificate names, or set broker.tls.servername' };
  }
  if (c === 'ERR_SSL_WRONG_VERSION_NUMBER' || c === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
    return { permanent: true, cause: 'the port does not speak TLS', check: 'use mqtt:// (not mqtts://) for a plain port, or the broker\'s TLS port in broker.url' };
  }
  if (/^ERR_SSL_.*(CERTIFICATE|HANDSHAKE_FAILURE|UNKNOWN_CA)/.test(c)) {
    return { permanent: true, cause: 'the broker refused our TLS client certificate (or its absence)', check: 'set broker.tls.cert and broker.tls.key to a client certificate signed by a CA the broker trusts' };
  }
  if (/^ERR_OSSL_|^ERR_SSL_/.test(c)) return { permanent: true, cause: 'TLS setup failed', check: 'check broker.tls.ca, broker.tls.cert and broker.tls.key (PEM files that belong together)' };
  return { permanent: false, cause: c ? `${c}` : err.message, check: 'retrying with backoff (is the broker running and reachable at broker.url?)' };
}

/**
 * The error's message without OpenSSL's source-file noise: `tlsv13 alert certificate required`, not a 200-char dump;
 * `key values mismatch`, not `error:05800074:x509 certificate routines::key values mismatch`.
 */
export function shortReason(err: Error): string {
  const ssl = /routines:[^:]*:([^:]+)/.exec(err.message);
  return (ssl ? ssl[1] : err.message).trim();
}
