/**
 * Whether the `vigil run` that started this adaptation is still there (`VIGIL_ADAPT_FOR`, its pid, set by
 * runtime/adapt/run-vigil.ts). A runtime killed with -9 leaves its child running, and the child went on to write the
 * adapted pair (a probe): a runtime restarted then hot-loaded it with no rollback watch and no `adapted` decision, no
 * counter, no dashboard mark. So the child asks just before it writes, and writes nothing for a runtime that is gone;
 * the restarted one decides afresh from its reservoir. `vigil adapt` run by hand (no such variable) is not watched.
 */
import { ADAPT_FOR_ENV } from '@vigil/runtime/adapt/run-vigil.ts';

/** The parent as the child saw it when it started, so a parent that died and was reaped is told from a wrapper. */
const startedUnder = process.ppid;

/** Why the runtime this child works for is gone, or undefined while it is there (or none was named). */
export function runtimeGone(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const pid = Number(env[ADAPT_FOR_ENV]);
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  // Started straight under the runtime (no adapt.command wrapper): a new parent means the runtime died.
  if (startedUnder === pid && process.ppid !== pid) return `the vigil run that started this adaptation (pid ${pid}) is gone`;
  try {
    process.kill(pid, 0);
    return undefined;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? undefined : `the vigil run that started this adaptation (pid ${pid}) is gone`;
  }
}
