/**
 * A codec's publishers' sessions across a restart (codec.ts `sessions`: a Sparkplug node's aliases), kept beside the
 * state file as window tails are (window-tails.ts): written at the stop, read and removed at the next start, so a
 * crash's start (the file taken by the start before it) restores nothing stale. Failures are logged, never thrown.
 */
import { writeFileAtomic } from '../util/atomic-write.ts';
import { keptFileBeside, readKept, removeKept, setAsideKept, type KeptFileLogger } from '../util/kept-file.ts';
import type { MqttClient } from 'mqtt';
import type { Codec } from '../codecs/codec.ts';
import { keptSession } from '../mqtt/connect.ts';

/** The file beside `stateFile` (none without a state file). */
export function codecSessionsFile(stateFile: string | null): string | undefined {
  return keptFileBeside(stateFile, 'codec-sessions.json');
}

/** The part of a logger this needs. */
interface SessionsLogger extends KeptFileLogger {
  info(obj: object, msg: string): void;
}

/**
 * Take up what the last stop kept for `codec` (nothing without a file). Without a codec that keeps sessions (another
 * codec, a fleet, a clean session) the file is removed unread: left, a later start took up sessions days stale.
 */
function takeCodecSessions(file: string | undefined, codec: Codec | undefined, log: SessionsLogger): void {
  if (!file) return;
  if (!codec?.sessions) return void removeKept(file, 'the codec sessions the last run kept', 'a later start may take them up', log);
  const what = `the ${codec.name} sessions the last run kept`;
  const text = readKept(file, what, log);
  if (text === undefined) return;
  try {
    const sessions = codec.sessions.restore(JSON.parse(text));
    removeKept(file, what, 'the next start reads them again', log);
    log.info({ file, sessions }, `${what} are taken up: each goes on where its next message follows the last one read (else its births are asked for, as after any gap)`);
  } catch (err) {
    const to = setAsideKept(file, what, log);
    log.warn({ file, err: (err as Error).message, setAside: to }, `${what} are not readable${to ? ` (set aside as ${to})` : ''}; their publishers' data wait for their births, as after a first start`);
  }
}

/** Keep `codec`'s sessions for the next start (nothing to keep: no file written). */
function keepCodecSessions(file: string | undefined, codec: Codec | undefined, log: SessionsLogger): void {
  const saved = file && codec?.sessions?.save();
  if (!file || !saved) return;
  try {
    writeFileAtomic(file, JSON.stringify(saved));
    log.info({ file }, `the ${codec!.name} sessions kept: the next start reads what the broker queued meanwhile`);
  } catch (err) {
    log.warn({ file, err: (err as Error).message }, `the ${codec!.name} sessions not kept: after the restart their publishers' data wait for their births`);
  }
}

/**
 * A run's keeping of its codec's sessions: only outside a fleet (its publishers move between workers) and with a
 * persistent broker session, and taken up only where the broker says it kept ours. With a clean session (or one the
 * broker lost) nothing was queued, a node that rebirthed meanwhile went unseen, and its first live message confirmed
 * the kept aliases by its 8-bit seq alone (2 in 256): one metric read as another (a review).
 */
export function codecSessions(config: { fleet?: unknown; broker: { clean: boolean }; state: { file: string | null } }, log: SessionsLogger & { warn(obj: object, msg: string): void }) {
  const file = codecSessionsFile(config.state.file);
  const keeps = !config.fleet && config.broker.clean === false;
  return {
    /** At the intake's start, the broker connected: take up the kept sessions, or remove them unread. */
    take(client: MqttClient, codec: Codec | undefined): void {
      const kept = keptSession(client) !== false;
      if (keeps && !kept && codec?.sessions) log.warn({}, "the broker kept no session for us: the codec sessions the last run kept are dropped (their publishers may have started new ones unseen); their data wait for their births");
      takeCodecSessions(file, keeps && kept ? codec : undefined, log);
    },
    /** At the stop, after the drain. */
    keep(codec: Codec | undefined): void {
      if (keeps) keepCodecSessions(file, codec, log);
    },
  };
}
