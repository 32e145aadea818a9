/**
 * Files a stop leaves for the next start (window tails, alerts the broker never took, a codec's sessions) that the
 * start cannot use (a torn write on a card without atomic rename, a person's edit) are set aside for a person to look
 * at, as an unusable state file is, not removed with what spoilt them; the start goes on without them. One that is
 * whole but of no use (window tails of other channels) is removed.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { MqttClient } from 'mqtt';
import { takeTails } from '../../runtime/stream/window-tails.ts';
import { takeUnsent } from '../../runtime/mqtt/unsent-alerts.ts';
import { codecSessions, codecSessionsFile } from '../../runtime/ops/codec-sessions.ts';
import type { Codec } from '../../runtime/codecs/codec.ts';

function logger() {
  const lines: { obj: Record<string, unknown>; msg: string }[] = [];
  const push = (obj: object, msg: string): void => void lines.push({ obj: obj as Record<string, unknown>, msg });
  return { lines, log: { info: push, warn: push, error: push } };
}

/** The one copy set aside of `name` in `dir`, after checking `name` itself is gone. */
function asideOf(dir: string, name: string): string {
  expect(existsSync(join(dir, name))).toBe(false);
  const aside = readdirSync(dir).filter((f) => f.startsWith(`${name}.corrupt-`));
  expect(aside).toHaveLength(1);
  return join(dir, aside[0]);
}

describe('a kept file the next start cannot use', () => {
  it('window tails that are not a tails file: set aside with their content and named in the warning; nothing is taken', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-tails-broken-'));
    const spoilt = '{"format":"vigil-window-tails/1","channels":["a"],"sensors":[{"sensor":"p1","ts":[1,2],"val';
    writeFileSync(join(dir, 'state.json-windows.json'), spoilt);
    const { lines, log } = logger();
    expect(takeTails(join(dir, 'state.json-windows.json'), ['a'], log)).toEqual([]);
    const aside = asideOf(dir, 'state.json-windows.json');
    expect(readFileSync(aside, 'utf8')).toBe(spoilt);
    expect(lines).toHaveLength(1);
    expect(lines[0].obj.setAside).toBe(aside);
    expect(lines[0].msg).toContain(`set aside as ${aside}`);
  });

  it('window tails of other channels are removed, not set aside: they were written whole', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-tails-other-'));
    const file = join(dir, 'state.json-windows.json');
    writeFileSync(file, JSON.stringify({ format: 'vigil-window-tails/1', channels: ['x'], sensors: [{ sensor: 'p1', ts: [1, 2], values: [[1], [2]] }] }));
    const { lines, log } = logger();
    expect(takeTails(file, ['a'], log)).toEqual([]);
    expect(readdirSync(dir)).toEqual([]);
    expect(lines[0].msg).toContain('other channels');
  });

  it('unsent alerts with a line that is not a message: the messages are sent, the file is set aside and the line counted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-unsent-broken-'));
    const good = JSON.stringify({ topic: 'vigil/alerts/p1', body: '{"type":"open"}' });
    const text = `${good}\n{"topic":"vigil/alerts/p2","bo\n`;
    writeFileSync(join(dir, 'state.json-unsent-alerts.jsonl'), text);
    const { lines, log } = logger();
    expect(takeUnsent(join(dir, 'state.json-unsent-alerts.jsonl'), log)).toEqual([{ topic: 'vigil/alerts/p1', body: '{"type":"open"}' }]);
    const aside = asideOf(dir, 'state.json-unsent-alerts.jsonl');
    expect(readFileSync(aside, 'utf8')).toBe(text);
    expect(lines.at(-1)!.obj).toMatchObject({ messages: 1, skipped: 1, setAside: aside });
  });

  it('unsent alerts that all read: sent, and the file removed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-unsent-whole-'));
    writeFileSync(join(dir, 'state.json-unsent-alerts.jsonl'), `${JSON.stringify({ topic: 't', body: 'b' })}\n`);
    expect(takeUnsent(join(dir, 'state.json-unsent-alerts.jsonl'), logger().log)).toHaveLength(1);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a codec's sessions it cannot restore: set aside and named; ones it restores: removed", () => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-sessions-broken-'));
    const state = join(dir, 'state.json');
    const file = codecSessionsFile(state)!;
    const restored: unknown[] = [];
    const codec = { name: 'sparkplug', sessions: { restore: (v: unknown) => (restored.push(v), 1), save: () => undefined } } as unknown as Codec;
    const { lines, log } = logger();
    const sessions = codecSessions({ broker: { clean: false }, state: { file: state } }, log);
    writeFileSync(file, '{"nodes":[{"node":"g/n1","al');
    sessions.take({} as MqttClient, codec);
    const aside = asideOf(dir, 'state.json-codec-sessions.json');
    expect(lines.at(-1)!.obj.setAside).toBe(aside);
    expect(lines.at(-1)!.msg).toContain(`set aside as ${aside}`);
    expect(restored).toEqual([]);

    writeFileSync(file, '{"nodes":[]}');
    sessions.take({} as MqttClient, codec);
    expect(restored).toEqual([{ nodes: [] }]);
    expect(existsSync(file)).toBe(false);
  });
});
