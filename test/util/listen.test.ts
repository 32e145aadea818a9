/** A configured port in use is said in the words of its setting, for the metrics server, the dashboard and the check before start. */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkPortFree, dashboardPortInUse, listen } from '../../runtime/util/listen.ts';

describe('listening on a configured port', () => {
  it('says a taken port in the setting\'s words, and lets a free one (or 0) be', async () => {
    const holder = createServer();
    await listen(holder, 0, '127.0.0.1', 'unused');
    const port = (holder.address() as { port: number }).port;
    try {
      await expect(checkPortFree(port, '127.0.0.1', dashboardPortInUse(port))).rejects.toThrow(`dashboard port ${port} is in use; pick another with --dashboard PORT (0 = any free port)`);
      await expect(listen(createServer(), port, '127.0.0.1', 'metrics.port taken')).rejects.toThrow('metrics.port taken');
      await expect(checkPortFree(0, '127.0.0.1', 'never')).resolves.toBeUndefined();
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
    }
    // Free again: the check binds and lets go.
    await expect(checkPortFree(port, '127.0.0.1', 'never')).resolves.toBeUndefined();
  });
});
