/**
 * The rig the benches of `vigil run` as shipped under a sensor load share (overload, soak): a bench Mosquitto (or
 * the broker given by `--broker`), `vigil run` on it (bench/lib/vigil.ts), an alert listener, a Nagle-off publisher
 * and a round-robin sensor load on `PREFIX/+/data`; stopped in reverse. Plus what both read from two scrapes.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { benchBroker } from './broker.ts';
import { listenAlerts, sensorLoad, type AlertSeen, type LoadOptions, type SensorLoad } from './load.ts';
import { connectNoDelay } from './mqtt.ts';
import { csvRows, droppedByReason, startVigil, type VigilProcess } from './vigil.ts';

/** A started rig. */
export interface ShippedRig {
  /** The broker given by `--broker`, or '' for the bench's own Mosquitto. */
  givenBroker: string;
  vigil: VigilProcess;
  /** vigil's ops URL (/metrics). */
  url: string;
  /** Alerts seen on `vigil/alerts/+`, with their receipt time. */
  alerts: AlertSeen[];
  pub: MqttClient;
  load: SensorLoad;
  /** Publisher, listener, vigil, broker, in that order. */
  stop(): Promise<void>;
}

/**
 * Start the rig for bench `name`: vigil runs `model` through `launcher`; the load replays the rows of `csvOf`'s
 * training CSV (default: the model's own) on `name` + pid topics with the given load options.
 */
export async function startShippedRig(o: { name: string; launcher: string[]; model: string; csvOf?: string; load: Omit<LoadOptions, 'prefix' | 'channels' | 'rows'> }): Promise<ShippedRig> {
  const work = mkdtempSync(join(tmpdir(), `vigil-bench-${o.name}-`));
  const broker = await benchBroker();
  const { channels, rows } = csvRows(o.csvOf ?? o.model);
  const prefix = `${o.name}${process.pid}`;
  const vigil = await startVigil({ launcher: o.launcher, model: o.model, broker: broker.url, topic: `${prefix}/+/data`, work });
  const { alerts, proc: listener } = await listenAlerts(broker.url, 'vigil/alerts/+');
  const pub = await connectNoDelay(broker.url, `${o.name}-pub-${process.pid}`);
  const load = sensorLoad(pub, { prefix, channels, rows, ...o.load });
  const stop = async () => {
    await pub.endAsync();
    listener.kill('SIGTERM');
    await vigil.stop();
    await broker.stop();
  };
  return { givenBroker: broker.given, vigil, url: vigil.opsUrl, alerts, pub, load, stop };
}

/** Windows shed by reason between two scrapes' `series` (reasons with none left out). */
export function shedBetween(a: Record<string, number>, b: Record<string, number>): Record<string, number> {
  const before = droppedByReason(a);
  return Object.fromEntries(Object.entries(droppedByReason(b)).map(([k, v]) => [k, v - (before[k] ?? 0)]).filter(([, v]) => (v as number) > 0));
}

/** `shed` as the benches' tables show it: `reason n, ...`, or 'none'. */
export const shedText = (shed: Record<string, number>): string => (Object.keys(shed).length ? Object.entries(shed).map(([k, v]) => `${k} ${v}`).join(', ') : 'none');

/** A load average triple as the notes show it: `1.0 / 2.0 / 3.0`. */
export const loadText = (l: number[]): string => l.map((x) => x.toFixed(1)).join(' / ');
