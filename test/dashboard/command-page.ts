/**
 * The live page behind a token over a running runtime (the level model, fed from a Subject), opened in Chromium with
 * its dialogs answered: what the tests of the page's commands (mark normal, maintenance) start from.
 */
import { Subject } from 'rxjs';
import type { Browser, Page } from 'playwright-core';
import { startDashboard } from '../../dashboard/server.ts';
import { runtimeFeed } from '../../dashboard/runtime-feed.ts';
import { startRuntime, type RuntimeHandle } from '../../runtime/ops/runtime.ts';
import type { AlertEvent, RawMessage } from '../../runtime/stream/types.ts';
import { levelModel, silent, testConfig, within, type SendLevel } from '../ops/harness.ts';
import { watchPage } from './chromium.ts';

/** The page, the runtime behind it and what the page asked; `close` stops them in reverse. */
export interface CommandPage {
  source: Subject<RawMessage>;
  runtime: RuntimeHandle;
  page: Page;
  watch: { errors: string[]; offOrigin: string[] };
  /** The dialogs' messages, in order (each accepted, with `answer` for a prompt). */
  asked: string[];
  close(): Promise<void>;
}

/** Start it on `brokerUrl` under `prefix`; dialogs are accepted, a prompt with `answer`. */
export async function openCommandPage(browser: Browser, brokerUrl: string, prefix: string, answer?: string): Promise<CommandPage> {
  const source = new Subject<RawMessage>();
  const runtime = await startRuntime(testConfig(brokerUrl, prefix, levelModel()), { logger: silent, source });
  // Commands need a token: the page signs in once with it (an HttpOnly cookie its own requests carry).
  const token = 'a-token-of-16-chars-or-more';
  const dash = await startDashboard(runtimeFeed(runtime), { port: 0, tickMs: 100, token });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const watch = watchPage(page, [dash.url]);
  const asked: string[] = [];
  page.on('dialog', (d) => (asked.push(d.message()), void d.accept(answer)));
  await page.goto(`${dash.url}?token=${token}`);
  return {
    source, runtime, page, watch, asked,
    async close() {
      await page.close();
      await dash.close();
      source.complete();
      await runtime.stop();
    },
  };
}

/** p1 at level 0 for readings 0-59, then at 1 for 60-119: resolves with the alert the new level opens. */
export function alertAtNewLevel(runtime: RuntimeHandle, send: SendLevel): Promise<AlertEvent> {
  const opened = within(runtime.alerts, 10_000, 'the alert at the new level', (e) => e.type === 'open');
  send(0, 60, 0);
  send(60, 120, 1);
  return opened;
}
