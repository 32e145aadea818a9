/**
 * Structured logs with pino (JSON lines on stderr by default, so stdout stays free for the banner and pipes).
 * Secrets are redacted by path wherever they appear: passwords, keys, tokens and auth headers.
 */
import pino, { type DestinationStream, type Logger } from 'pino';

/** Paths censored in every log line. */
export const REDACT_PATHS = [
  'password',
  '*.password',
  '*.*.password',
  'key',
  '*.key',
  'token',
  '*.token',
  'authorization',
  '*.authorization',
  'headers',
  '*.headers',
];

/** A vigil logger. */
export type VigilLogger = Logger;

/** Create the logger; `destination` defaults to stderr. */
export function createLogger(level: string, destination?: DestinationStream): VigilLogger {
  return pino(
    {
      name: 'vigil',
      level,
      base: { pid: process.pid },
      redact: { paths: REDACT_PATHS, censor: '***' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    destination ?? stderrDestination(),
  );
}

/**
 * A child of `log` that skips the redaction pass, for lines whose fields are vigil's own output and never hold a key
 * of REDACT_PATHS (an alert payload: test/ops/alert-log.test.ts holds every key of its schema to that). Pino's
 * wildcard paths clone and walk every line's object: 5-10 us of the 15 it takes to write an alert line.
 */
export function unredacted(log: VigilLogger): VigilLogger {
  return log.child({}, { redact: [] });
}

/**
 * Stderr as pino writes it, where a terminal that is gone (an SSH session closed under `vigil run`: EIO) or a reader
 * that left (EPIPE) loses the log lines, not the process (a review: the shutdown's own log line killed it, unsaved).
 */
function stderrDestination(): DestinationStream {
  const d = pino.destination({ fd: 2, sync: false });
  d.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EIO' && err.code !== 'EPIPE') throw err;
  });
  return d;
}
