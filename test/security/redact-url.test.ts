/**
 * Secrets in URLs stay hidden wherever a URL is shown: a broker password with an unencoded `@` was shown from the
 * `@` on (logs, /health, the banner, `--print-config`), one with an unencoded `/` in full, and a webhook's token (in
 * its query, or its path as Slack and Discord put it) was printed by `--print-config` and the start banner.
 */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { redactUrl, webhookShown } from '../../runtime/util/redact-url.ts';
import { parseConfig, redactConfig } from '../../runtime/config/load.ts';
import { createLogger } from '../../runtime/ops/logger.ts';
import { startRuntime } from '../../runtime/ops/runtime.ts';
import { startBroker } from '../../simulators/broker/aedes.ts';
import { waitFor } from '@vigil/fixtures/wait.ts';
import { meanLayer, writeTinyModel } from '@vigil/fixtures/tiny-model.ts';

const base = { model: 'models/x', source: { topics: ['s/+/d'] } };

describe('redactUrl', () => {
  it('hides the password up to the last @ of the user part, and every query value', () => {
    expect(redactUrl('mqtt://gw:p@SECRET@broker:1883')).toBe('mqtt://gw:***@broker:1883');
    expect(redactUrl('mqtt://gw:pw/SECRET@broker:1883')).toBe('mqtt://gw:***@broker:1883');
    expect(redactUrl('wss://gw:SECRET@broker/mqtt?token=SECRET&v=5')).toBe('wss://gw:***@broker/mqtt?token=***&v=***');
    expect(redactUrl('mqtt://gw@broker:1883')).toBe('mqtt://gw@broker:1883');
    expect(redactUrl('mqtts://broker.plant.example:8883')).toBe('mqtts://broker.plant.example:8883');
  });

  it('shows a webhook as its origin only', () => {
    expect(webhookShown('https://hooks.slack.com/services/T0/B0/SECRET')).toBe('https://hooks.slack.com/***');
    expect(webhookShown('https://u:SECRET@alerts.example:8443/in?key=SECRET')).toBe('https://alerts.example:8443/***');
    expect(webhookShown('http://10.0.0.5:9000')).toBe('http://10.0.0.5:9000');
  });
});

describe('config', () => {
  it('--print-config hides a webhook token in the query or path and a broker password with an @', () => {
    const cfg = parseConfig({
      ...base,
      broker: { url: 'mqtt://gw:p@SECRET@127.0.0.1:1883' },
      alerts: { webhook: { url: 'https://hooks.example.com/services/T0/B0/SECRET?token=SECRET' } },
    });
    const shown = JSON.stringify(redactConfig(cfg));
    expect(shown).not.toContain('SECRET');
    expect(redactConfig(cfg).alerts.webhook!.url).toBe('https://hooks.example.com/***');
  });

  it('refuses a broker URL no parser reads as written, without echoing it', () => {
    let message = '';
    try {
      parseConfig({ ...base, broker: { url: 'mqtt://gw:pw/SECRET@127.0.0.1:1883' } });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/broker\.url: not a valid URL: percent-encode special characters/);
    expect(message).not.toContain('SECRET');
  });
});

describe('vigil run', () => {
  it('neither its log nor /health shows a password with an @ in the broker URL', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-redact-'));
    const model = writeTinyModel(dir, { name: 'm', window: 4, channels: ['a'], layers: [meanLayer(4, 1)], scaler: { kind: 'standard', offset: [0], scale: [1] }, threshold: 5 });
    const broker = await startBroker();
    const lines: string[] = [];
    const logger = createLogger('trace', { write: (s: string) => void lines.push(s) });
    const url = broker.url.replace('mqtt://', 'mqtt://gw:p@SECRET@');
    const h = await startRuntime(parseConfig({ model, broker: { url }, source: { topics: ['s/+/d'] }, metrics: { port: 0 }, state: { file: null } }), { logger });
    try {
      await waitFor(() => h.health().broker !== undefined && (h.health().broker as { connected: boolean }).connected, 'the broker connection');
      expect(JSON.stringify(h.health())).not.toContain('SECRET');
      expect(JSON.stringify(h.health())).toContain('gw:***@');
      const text = await (await fetch(`${h.opsUrl}/health`)).text();
      expect(text).not.toContain('SECRET');
    } finally {
      await h.stop();
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    }
    expect(lines.join('')).toMatch(/broker connected/);
    expect(lines.join('')).not.toContain('SECRET');
  });
});
