/**
 * What the Sparkplug codec tells an operator, each once (per device, or per minute): a device whose birth names none
 * of the model's channels, historical metrics beside live ones, and deaths. Each is a warning in the log (the codec
 * context's `note`), never a rejection: the messages themselves are counted where they are refused.
 */
import type { CodecContext } from './codec.ts';
import { GAP_NOTE_INTERVAL_MS } from './sparkplug-nodes.ts';
import { has, type ProtoMetric } from './sparkplug-metrics.ts';

/** Metrics every birth may carry besides the device's own tags: session and control metrics, properties. */
const CONTROL_METRIC = /^(bdSeq$|Node Control\/|Device Control\/|Properties\/|Node Info\/|Device Info\/)/;
/** Keys remembered at most (a flood of device ids must not grow them without bound). */
const MAX_KEYS = 10_000;

/** The Sparkplug codec's once-only notes. */
export class SparkplugNotes {
  private readonly told = new Set<string>();
  private readonly deathSaidAt = new Map<string, number>();

  /** @param channelMetrics the metric names the model reads (its channels, or what source.channels maps them to) */
  constructor(
    private readonly note: CodecContext['note'],
    private readonly channelMetrics: string[],
  ) {}

  /** Whether `key` is told for the first time (and remember it). */
  private first(key: string): boolean {
    if (this.told.has(key)) return false;
    if (this.told.size >= MAX_KEYS) this.told.clear();
    this.told.add(key);
    return true;
  }

  /**
   * A device's birth (`named`: whether any metric is named as a model channel). One that names none has its DATA
   * ignored, which an operator must hear (a probe: a PLC publishing `Pump/Flow` for a model's `flow` left vigil
   * watching nothing, with no word at any log level): said once per node, and only while no device of the node has
   * named one, so a node whose other devices (a valve beside the pump) are simply not this model's says nothing.
   */
  birth(nodeKey: string, device: string, metrics: ProtoMetric[], named: boolean): void {
    if (named) {
      this.first(`named\u0000${nodeKey}`);
      return;
    }
    const names = metrics.flatMap((m) => (has(m, 'name') && m.name && !CONTROL_METRIC.test(m.name) ? [m.name] : []));
    if (names.length === 0 || this.told.has(`named\u0000${nodeKey}`) || !this.first(`unmatched\u0000${nodeKey}`)) return;
    const key = `${nodeKey}/${device}`;
    this.note?.(
      { node: nodeKey, device, metrics: names.slice(0, 8) },
      `Sparkplug device ${key}: its DBIRTH names none of the model's channels (it has ${names.slice(0, 8).join(', ')}${names.length > 8 ? `, ... ${names.length} in all` : ''}; the model reads ${this.channelMetrics.join(', ')}), so its DDATA are ignored; map its metrics to channels with source.channels if it is one of the machines this model watches (said once per node)`,
    );
  }

  /** A message with live and is_historical metrics: the live ones are read, the others said once per device. */
  historicalBeside(nodeKey: string, device: string, n: number): void {
    if (!this.first(`historical\u0000${nodeKey}/${device}`)) return;
    this.note?.({ node: nodeKey, device, historical: n }, `Sparkplug device ${nodeKey}/${device}: a DATA message carries live metrics and ${n} marked is_historical; the live ones are read, the historical ones set aside (said once per device; messages of historical metrics alone are rejected as 'historical', counted and dead-lettered)`);
  }

  /**
   * A death certificate, said in the log (a probe never saw the word: an operator reading the log after an outage
   * could not tell a device that died from one whose messages were lost), at most once a minute per node or device.
   */
  died(type: string, nodeKey: string, device: string, now: number): void {
    const key = `${nodeKey}/${device}`;
    const last = this.deathSaidAt.get(key);
    if (last !== undefined && now - last < GAP_NOTE_INTERVAL_MS) return;
    if (this.deathSaidAt.size >= MAX_KEYS) this.deathSaidAt.clear();
    this.deathSaidAt.set(key, now);
    const what = type === 'NDEATH' ? `edge node ${nodeKey}` : `device ${key}`;
    this.note?.({ node: nodeKey, ...(device && { device }), type }, `Sparkplug ${what}: ${type} (offline${type === 'NDEATH' ? ', with its devices' : ''}); its sensors are signalled silent now, and its data are read again after its next birth`);
  }
}
