/**
 * The command-line options of `vigil run`, `vigil score` and `vigil fleet` (both modes), each written once: its flag, the config
 * key it sets and its help. Commander options (runtime/cli/flags.ts) and config overrides (`applyFlags`) are both
 * generated from this table, so an option has the same name and syntax in every command, flags are laid over the
 * config before it is validated, and the help quotes the schema's default (the only place defaults live).
 */
import { parseThresholdOption } from './threshold-option.ts';
import { parseList } from '../util/parse-option.ts';

/** One option. */
export interface FlagRow {
  /** Commander spec, e.g. `-t, --topic <template>`. */
  flag: string;
  /** Dotted config key the value sets; null for a command's own option that is not configuration (e.g. `--out`). */
  path: string | null;
  help: string;
  /** Flag text -> config value; throws saying what was expected (the caller names the flag). Default: the text. */
  parse?: (text: string) => unknown;
  /** Repeatable: each use adds one parsed value to a list. */
  repeat?: true;
  /** The parsed value is an object laid over the config object at `path` (other keys there stay). */
  merge?: true;
  /** Older spellings still accepted: hidden from --help, a deprecation note when used. */
  aliases?: string[];
  /** Default of an option that is not a config key (a config key's default is the schema's). */
  default?: string | number;
  /** What the help says when the schema has no default for the key (e.g. the model card's threshold). */
  defaultText?: string;
  /** How the help shows the schema's default when it is not a plain value. */
  show?: (schemaDefault: never) => string;
}

const fail = (expected: string, got: string): never => {
  throw new Error(`expected ${expected}; got '${got}'`);
};
const int = (min: number) => (v: string) => (/^\d+$/.test(v.trim()) && Number(v) >= min ? Number(v) : fail(`an integer >= ${min}`, v));
const countOrAuto = (v: string) => (v === 'auto' ? v : /^\d+$/.test(v.trim()) && Number(v) >= 1 ? Number(v) : fail("an integer >= 1 or 'auto'", v));
const millis = (v: string) => (v.trim() !== '' && Number(v) >= 0 ? Number(v) : fail('milliseconds (a number >= 0)', v));
const millisOrNever = (v: string) => (v === 'never' ? v : v.trim() !== '' && Number(v) >= 0 ? Number(v) : fail("milliseconds (a number >= 0) or 'never'", v));
const portOrOff = (v: string) => (v === 'off' ? null : /^\d+$/.test(v) && Number(v) <= 65535 ? Number(v) : fail("a port number 0-65535 (0 = any free port) or 'off'", v));
/** A number; its range is the schema's to check (the message then names the config key and what it expects). */
const number = (v: string) => (v.trim() !== '' && Number.isFinite(Number(v)) ? Number(v) : fail('a number', v));
const qos = (v: string) => (v === '0' || v === '1' ? Number(v) : fail('0 or 1', v));

/** Every option, keyed by the name its value has in `FlagValues`. */
export const FLAGS = {
  config: { flag: '-c, --config <file>', path: null, help: 'config file (YAML or JSON); flags override it' },
  model: { flag: '-m, --model <path>', path: 'model', help: 'model path without extension (models/NAME), or NAME.json / NAME.onnx' },
  broker: { flag: '-b, --broker <url>', path: 'broker.url', help: 'broker URL: mqtt://, mqtts://, ws:// or wss://host:port' },
  username: { flag: '--username <name>', path: 'broker.username', help: 'broker user name (password from VIGIL_MQTT_PASSWORD)' },
  ca: { flag: '--ca <file>', path: 'broker.tls.ca', help: 'CA certificate (PEM) for mqtts://' },
  cert: { flag: '--cert <file>', path: 'broker.tls.cert', help: 'client certificate (PEM)' },
  key: { flag: '--key <file>', path: 'broker.tls.key', help: 'client key (PEM)' },
  clientId: { flag: '--client-id <id>', path: 'broker.clientId', help: 'MQTT client id (set one for a persistent session)' },
  gateway: { flag: '--gateway <id>', path: 'gateway.id', defaultText: 'the host name', help: 'this gateway\'s id: in every alert and signal (gateway), in {gateway} of the alert and status topics (gateway.id)' },
  topics: { flag: '-t, --topic <template>', path: 'source.topics', repeat: true, help: "topic filter or template, repeatable: 'sensors/+/data', 'plant/{site}/{device}/telemetry'" },
  codec: { flag: '--codec <kind>', path: 'source.codec.kind', help: 'payload codec: json, json-array, csv, number, sparkplug' },
  qos: { flag: '--qos <0|1>', path: 'source.qos', parse: qos, help: 'subscription QoS' },
  providers: { flag: '--providers <list>', path: 'inference.providers', parse: parseList, aliases: ['--provider'], help: 'execution providers in priority order, comma separated, e.g. webgpu,cuda,cpu,wasm' },
  threshold: {
    flag: '--threshold <spec>',
    path: 'threshold',
    parse: parseThresholdOption,
    defaultText: "the model card's",
    help: "threshold kind and params: 'spot', 'spot,q=1e-4', or JSON '{\"kind\":\"spot\",\"q\":1e-4}'; kinds: static, quantile, ewma, mad, spot, dspot, telemanom",
  },
  smoothing: { flag: '--smoothing <alpha>', path: 'smoothing', parse: (v: string) => ({ kind: 'ewma', alpha: Number(v) }), show: (d: { kind: string }) => d.kind, help: 'EWMA smoothing of scores before the threshold, weight of the newest in (0, 1] (config smoothing: {kind: ewma, alpha})' },
  alertOpen: {
    flag: '--alert-open <k/n>',
    path: 'alerts',
    merge: true,
    parse: (v: string) => {
      const m = /^(\d+)\/(\d+)$/.exec(v.trim());
      return m ? { openK: Number(m[1]), openN: Number(m[2]) } : fail('k/n such as 2/3', v);
    },
    show: (d: { openK: number; openN: number }) => `${d.openK}/${d.openN}`,
    help: 'open an alert when k of the last n windows are anomalous (config alerts.openK, alerts.openN)',
  },
  alertClose: { flag: '--alert-close <m>', path: 'alerts.closeM', parse: int(1), help: 'close it after m quiet windows in a row' },
  alertCritical: {
    flag: '--alert-critical <on|off>',
    path: 'alerts.openCritical',
    parse: (v: string) => (v === 'on' ? true : v === 'off' ? false : fail("'on' or 'off'", v)),
    show: (d: boolean) => (d ? 'on' : 'off'),
    help: "'on': a window at twice its threshold opens an alert at once, whatever --alert-open asks; 'off': k of n alone (config alerts.openCritical)",
  },
  cooldown: { flag: '--cooldown <ms>', path: 'alerts.cooldownMs', parse: millis, help: 'no new alert for a sensor for this long (data time) after a close' },
  gapReset: { flag: '--gap-reset <ms|never>', path: 'window.gapResetMs', parse: millisOrNever, defaultText: "a whole window of readings: window x the card's interval", help: "restart the window after a gap in the timestamps longer than this ('never': no gap does)" },
  metricsPort: { flag: '--metrics-port <port>', path: 'metrics.port', parse: portOrOff, help: "port of /metrics and /health (0 = any free port; 'off')" },
  state: { flag: '--state <file>', path: 'state.file', parse: (v: string) => (v === 'off' ? null : v), help: "threshold state file ('off' = none)" },
  dashboard: { flag: '--dashboard <port>', path: 'dashboard.port', parse: portOrOff, help: 'serve the live dashboard on this port (0 = any free port)' },
  lowMemory: { flag: '--low-memory', path: 'lowMemory', help: 'trade some throughput and p99 latency for less RSS, 60-80 MB less in an alert storm (V8 optimize-for-size, old generation bounded; small gateways)' },
  logLevel: { flag: '--log-level <level>', path: 'log.level', help: 'fatal, error, warn, info, debug, trace or silent' },
  printConfig: { flag: '--print-config', path: null, help: 'check the config and the model, print the resolved config as YAML (secrets hidden), and exit' },
  // vigil fleet (MQTT mode): the fleet section's keys.
  group: { flag: '-g, --group <name>', path: 'fleet.group', help: 'fleet group' },
  partitions: { flag: '-p, --partitions <n>', path: 'fleet.partitions', parse: int(1), help: 'partition count; the same for every worker and publisher of the group' },
  fleetPrefix: { flag: '--prefix <topic>', path: 'fleet.prefix', help: 'membership topic prefix (MQTT fleet; under --jetstream see --subject-prefix)' },
  // vigil fleet --jetstream: fleet.workerId and the fleet.jetstream section's keys.
  workerId: { flag: '--worker-id <id>', path: 'fleet.workerId', defaultText: 'the broker client id, else host-pid', help: 'this worker id, unique in the group (fleet.workerId)' },
  nats: { flag: '--nats <urls>', path: 'fleet.jetstream.servers', help: 'NATS servers, comma separated (fleet.jetstream.servers)' },
  // Not --prefix: that is fleet.prefix (MQTT membership topics) in vigil fleet status; the old spelling stays an alias
  // under --jetstream only, where no command declares fleet.prefix.
  subjectPrefix: { flag: '--subject-prefix <token>', path: 'fleet.jetstream.prefix', aliases: ['--prefix'], help: 'first token of every fleet subject (fleet.jetstream.prefix)' },
  stream: { flag: '--stream <name>', path: 'fleet.jetstream.stream', help: 'readings stream (fleet.jetstream.stream)' },
  results: { flag: '--results <name>', path: 'fleet.jetstream.results', help: 'verdicts/alerts stream (fleet.jetstream.results)' },
  maxAge: { flag: '--max-age <ms>', path: 'fleet.jetstream.maxAgeMs', parse: number, help: 'stream retention (fleet.jetstream.maxAgeMs)' },
  lease: { flag: '--lease <ms>', path: 'fleet.jetstream.leaseMs', parse: number, help: 'lease TTL (fleet.jetstream.leaseMs)' },
  renew: { flag: '--renew <ms>', path: 'fleet.jetstream.renewMs', parse: number, help: 'lease renewal (fleet.jetstream.renewMs)' },
  bridgeWindow: { flag: '--window <n>', path: 'fleet.jetstream.bridgeWindow', parse: number, help: 'bridge: MQTT messages open at once, their stores in flight (fleet.jetstream.bridgeWindow)' },
  // vigil score's own (--fill, --quiet also vigil latent/encode/denoise's): offline every batch is a backlog, so its batch is the live pipeline's largest (batch.maxBatch).
  // auto: by the provider the model runs on (runtime/inference/max-batch.ts maxBatchFor), the default the help prints.
  batch: { flag: '--batch <n|auto>', path: 'batch.maxBatch', parse: countOrAuto, help: 'windows per inference call' },
  data: { flag: '--data <csv>', path: null, help: 'CSV to score: a timestamp column, then the channels named in the model card' },
  out: { flag: '--out <csv>', path: null, help: 'output CSV: timestamp,score,threshold,alert,err_<channel>... (then filled with --fill ffill|zero: the channels filled in the row; label when the input has one)' },
  fill: {
    flag: '--fill <policy>',
    path: null,
    default: 'error',
    parse: (v: string) => (['error', 'ffill', 'zero'].includes(v) ? v : fail('error, ffill or zero', v)),
    help: "missing or non-numeric cells (vigil score: also cells outside the card's physical ranges): error | ffill | zero",
  },
  sort: { flag: '--sort', path: null, help: 'sort rows by time instead of failing on the first row out of order (a repeated timestamp: its first row is scored, the others score 0); output rows follow the sorted order' },
  separator: { flag: '--separator <sep>', path: null, defaultText: 'detected', help: "field separator: ',' ';' or 'tab'" },
  sensor: { flag: '--sensor <name>', path: null, defaultText: 'the file name', help: 'sensor name in alerts' },
  report: { flag: '--report <html>', path: null, help: 'also write a self-contained HTML report with the plots' },
  quiet: { flag: '--quiet', path: null, help: 'print only errors' },
} as const satisfies Record<string, FlagRow>;

/** The name of an option in the table. */
export type FlagKey = keyof typeof FLAGS;

/** Options as given on a command line: the flag's text (a list for a repeatable one, true for a switch). */
export type FlagValues = Partial<Record<FlagKey, string | string[] | boolean>>;

/** The long flag of a row (`--topic`), for messages. */
export function longFlag(row: FlagRow): string {
  return /--[\w-]+/.exec(row.flag)![0];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A copy of `raw` with `value` at the dotted `path` (objects on the way copied, never mutated). */
export function setAt(raw: Record<string, unknown>, path: string, value: unknown, merge = false): Record<string, unknown> {
  const [head, ...rest] = path.split('.');
  const here = raw[head];
  if (rest.length) return { ...raw, [head]: setAt(isObject(here) ? here : {}, rest.join('.'), value, merge) };
  return { ...raw, [head]: merge && isObject(here) && isObject(value) ? { ...here, ...value } : value };
}

/** Lay flag values over a raw config (before validation); a value that does not parse throws naming its flag. */
export function applyFlags(raw: Record<string, unknown>, values: FlagValues): Record<string, unknown> {
  let out = raw;
  for (const [key, given] of Object.entries(values)) {
    const row: FlagRow | undefined = (FLAGS as Record<string, FlagRow>)[key];
    if (!row) throw new Error(`unknown option '${key}'`);
    if (!row.path || given === undefined || given === false) continue;
    const parse = (text: string) => {
      try {
        return row.parse ? row.parse(text) : text;
      } catch (err) {
        throw new Error(`${longFlag(row)}: ${(err as Error).message}`);
      }
    };
    let value: unknown;
    if (given === true) value = true;
    else if (row.repeat) {
      const texts = Array.isArray(given) ? given : [given];
      if (!texts.length) continue;
      value = texts.map(parse);
    } else value = parse(Array.isArray(given) ? given[given.length - 1] : given);
    out = setAt(out, row.path, value, row.merge);
  }
  return out;
}
