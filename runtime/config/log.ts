/** Config section `log`: how much vigil writes, and the bounds that keep a storm from flooding the log. */
import { z } from 'zod';
import { ms } from './fields.ts';

/** What the log says and how much of it. */
export const LogSchema = z
  .object({
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * Alert events (open, escalate, close) logged one line each per minute, at most; the rest are summed into one
     * warning line a minute (runtime/ops/alert-log.ts). Every event still goes to the alert topic, the webhook, the
     * dashboard and the counters: only the log is summarised. 0: summaries only. A soak's alert storm (909 events,
     * ~900 B each) wrote 0.83 MB of alert lines, journald's and an SD card's load, burying the line an operator needs.
     */
    alertLines: z.number({ error: 'expected a whole number of lines a minute (0: summaries only)' }).int('expected a whole number of lines a minute (0: summaries only)').nonnegative('expected a whole number of lines a minute (0: summaries only)').default(20),
    /**
     * Warn when windows are judged more than this long after their reading arrived (inference slower than intake:
     * a heavy model on a small CPU, a backlog), at most once a minute while it lasts, and say when it has caught up
     * (runtime/ops/verdict-lag.ts). 0: never.
     */
    lagWarnMs: ms('verdict lag that is warned of; 0: never').default(2000),
  })
  .strict();
