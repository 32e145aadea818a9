/**
 * What each open page gets: a tick (status, the sensor list matching its filter, recent alerts, rejected messages,
 * adaptation marks and the new points of the sensor it has selected) every `tickMs` while something changed, or a
 * heartbeat; a slow page skips ticks and catches up from its cursor.
 */
import type { ServerResponse } from 'node:http';
import type { ThresholdLearning } from '@vigil/runtime/thresholds/gate.ts';
import type { ExcusedChannel, ShiftedChannel } from '@vigil/runtime/scoring/drift-log.ts';
import type { OutsideChannel } from '@vigil/runtime/scoring/seen-range.ts';
import type { AnchorProgress } from '@vigil/runtime/ops/re-anchors.ts';
import type { Maintenance } from '@vigil/runtime/alerts/maintenance.ts';
import type { DashboardFeed, FeedStatus } from './feed.ts';
import type { DashboardStore } from './store.ts';

/** Everything a page gets on each tick. */
export interface TickMessage {
  now: number;
  /** `idleS`: seconds since the last reading or verdict (null before the first), to tell "no data" from "no page updates". */
  status: FeedStatus & { throughput: number; openAlerts: number; sensors: number; uptimeS: number; idleS: number | null };
  /** Sensors matching the page's filter, alerting first, at most `listLimit`. */
  sensors: ReturnType<DashboardStore['summaries']>;
  /** How many sensors there are, and how many match the filter (the list may show fewer). */
  listed: { total: number; matched: number };
  alerts: ReturnType<DashboardStore['recentAlerts']>;
  rejected: ReturnType<DashboardStore['rejected']>;
  /** Decisions of adaptation on the gateway, newest first. */
  marks: ReturnType<DashboardStore['marks']>;
  selected?: {
    name: string;
    channels: string[];
    /** True when `raw`/`scores` replace what the page holds rather than extend it. */
    reset: boolean;
    raw: ReturnType<DashboardStore['pointsSince']>['raw'];
    scores: ReturnType<DashboardStore['pointsSince']>['scores'];
    spans: ReturnType<DashboardStore['spansOf']>;
    /** What its adaptive threshold has learnt and kept out (absent for a static bar). */
    learning?: ThresholdLearning;
    /** Its channels that level drift excuses now (absent: none). */
    levelDrift?: ExcusedChannel[];
    /** Its channels fed to the model shifted, largest first (absent: none). */
    inputShifts?: ShiftedChannel[];
    /** Its labelled windows (absent: none). */
    labels?: { start: number; end: number }[];
    /** Its latest window's channels outside the range training saw, farthest first (absent: none). */
    outside?: OutsideChannel[];
    /** Its re-anchoring in progress, after an operator marked it normal or sent it back to training (absent: none). */
    anchoring?: AnchorProgress;
    /** Its maintenance, until it ends on the wall clock (absent: none): its alerts are muted. */
    maintenance?: Maintenance;
  };
}

/** An open page: its response stream, the sensor and filter it asked for, and how far it has read. */
export interface Client {
  res: ServerResponse;
  sensor: string | null;
  filter: string;
  cursor: { raw: number; scores: number } | null;
  version: number;
  lastSent: number;
  blocked: boolean;
}

const HEARTBEAT_MS = 5000;

/** How often pages are updated and how long their sensor list may be. */
export interface TickOptions {
  /** Push interval to pages, ms (default 500). */
  tickMs?: number;
  /** Most sensors listed per page update (default 300; the page's filter searches them all). */
  listLimit?: number;
  /** The server takes the page's commands (a feed that runs them, behind a token: runtime/ops/commands.ts). */
  commands?: boolean;
}

/** The pages following a store, and the timer that pushes them their ticks. */
export class PageTicks {
  readonly clients = new Set<Client>();
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;
  // One sorted sensor list per tick, shared by every open page (10,000 sensors take ~20 ms to list).
  private listed: { version: number; at: number; list: ReturnType<DashboardStore['summaries']> } | undefined;

  constructor(private readonly store: DashboardStore, private readonly feed: DashboardFeed, private readonly opts: TickOptions = {}) {
    this.timer = setInterval(() => {
      for (const c of this.clients) this.send(c);
    }, opts.tickMs ?? 500);
    this.timer.unref();
  }

  private status(sensors: number): TickMessage['status'] {
    const m = this.store.measured();
    let s: FeedStatus = {};
    try {
      s = this.feed.status?.() ?? {};
    } catch {
      // A status callback that throws must not stop updates; measured values still show.
    }
    return {
      ...s,
      // Only where they can work: behind a token, and for a model that follows a level (the feed says).
      commands: this.opts.commands === true && s.commands === true,
      // Maintenance needs no level: behind a token, for any model.
      maintenance: this.opts.commands === true,
      throughput: s.throughput ?? m.throughput,
      latencyMs: s.latencyMs ?? m.latencyMs,
      openAlerts: this.store.openAlerts(),
      sensors,
      uptimeS: Math.round((Date.now() - this.started) / 1000),
      idleS: this.store.lastDataAt ? Math.floor((Date.now() - this.store.lastDataAt) / 1000) : null,
    };
  }

  private summaries(): ReturnType<DashboardStore['summaries']> {
    const now = Date.now();
    if (!this.listed || this.listed.version !== this.store.version || now - this.listed.at > 1000) this.listed = { version: this.store.version, at: now, list: this.store.summaries(this.feed.isSilent && ((n) => this.feed.isSilent!(n))) };
    return this.listed.list;
  }

  /** The tick for one page (also the reply of /api/status). */
  message(c: Client): TickMessage {
    const all = this.summaries();
    const matched = c.filter ? all.filter((x) => x.name.toLowerCase().includes(c.filter)) : all;
    const limit = this.opts.listLimit ?? 300;
    // The selected sensor stays listed even when the cap would cut it.
    const sensors = matched.slice(0, limit);
    const sel = c.sensor && !sensors.some((x) => x.name === c.sensor) ? all.find((x) => x.name === c.sensor) : undefined;
    if (sel) sensors.push(sel);
    const msg: TickMessage = { now: Date.now(), status: this.status(all.length), sensors, listed: { total: all.length, matched: matched.length }, alerts: this.store.recentAlerts(20), rejected: this.store.rejected(), marks: this.store.marks() };
    if (c.sensor && this.store.has(c.sensor)) {
      const reset = c.cursor === null;
      const pts = this.store.pointsSince(c.sensor, c.cursor ?? undefined);
      c.cursor = this.store.cursor(c.sensor);
      const learning = this.feed.learning?.(c.sensor);
      const levelDrift = this.feed.levelDrift?.(c.sensor);
      const inputShifts = this.feed.inputShifts?.(c.sensor);
      const labels = this.feed.labels?.(c.sensor);
      const away = this.store.outsideOf(c.sensor);
      const outside = away && this.feed.outside?.(away);
      const anchoring = this.feed.reAnchoring?.(c.sensor);
      const maintenance = this.feed.maintenance?.(c.sensor);
      msg.selected = { name: c.sensor, channels: this.store.channelsOf(c.sensor), reset, ...pts, spans: this.store.spansOf(c.sensor), ...(learning ? { learning } : {}), ...(levelDrift?.length ? { levelDrift } : {}), ...(inputShifts?.length ? { inputShifts } : {}), ...(labels?.length ? { labels } : {}), ...(outside?.length ? { outside } : {}), ...(anchoring ? { anchoring } : {}), ...(maintenance ? { maintenance } : {}) };
    }
    return msg;
  }

  /** Send a page its tick when something changed or a heartbeat is due (`force`: now). */
  send(c: Client, force = false): void {
    if (c.blocked) return;
    const now = Date.now();
    if (!force && c.version === this.store.version && now - c.lastSent < HEARTBEAT_MS) return;
    c.version = this.store.version;
    c.lastSent = now;
    // A slow page skips ticks rather than growing a buffer here; its cursor makes the next tick catch up.
    const ok = c.res.write(`event: tick\ndata: ${JSON.stringify(this.message(c))}\n\n`);
    if (!ok) {
      c.blocked = true;
      c.res.once('drain', () => (c.blocked = false));
    }
  }

  /** Stop the timer and end every page's stream. */
  close(): void {
    clearInterval(this.timer);
    for (const c of this.clients) c.res.end();
    this.clients.clear();
  }
}

/** A page from its request: `?sensor=` selected, `?filter=` for the list. */
export function clientOf(res: ServerResponse, url: URL): Client {
  return {
    res,
    sensor: url.searchParams.get('sensor') || null,
    filter: (url.searchParams.get('filter') ?? '').trim().toLowerCase(),
    cursor: null,
    version: -1,
    lastSent: 0,
    blocked: false,
  };
}
