/**
 * The dashboard says when the broker is lost (a re-probe: the page read only "no data for 31s" while /health was
 * degraded and no reading could come in or alert go out): the feed's status carries the runtime's connection state.
 */
import { describe, expect, it, vi } from 'vitest';
import { Subject } from 'rxjs';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { runtimeFeed } from '../../dashboard/runtime-feed.ts';
import type { RawMessage } from '../../runtime/stream/types.ts';
import { fileBroker } from './aedes.ts';
import { capturingLogger, recordedModel, testConfig, uniquePrefix } from './harness.ts';

const broker = fileBroker();

describe('broker state on the dashboard', () => {
  it('connected while the broker is there, lost once it is gone', async () => {
    const handle = await startRuntime(testConfig(broker.url, uniquePrefix('page-broker'), recordedModel()), { logger: capturingLogger().logger, source: new Subject<RawMessage>() });
    try {
      const feed = runtimeFeed(handle);
      await vi.waitFor(() => expect(feed.status!().broker).toBe('connected'), { timeout: 5000 });
      await broker.stop();
      await vi.waitFor(() => expect(feed.status!().broker).toBe('lost'), { timeout: 10_000 });
    } finally {
      await handle.stop();
    }
  }, 30_000);
});
