/**
 * Read a config file (YAML or JSON), lay command-line overrides over it, fill defaults and validate.
 * Errors name the file, each bad key and the value expected; secrets come from the environment when set.
 */
import { redactUrl, webhookShown } from '../util/redact-url.ts';
import { readFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { ZodError } from 'zod';
import { describeIssues } from '../util/describe-issues.ts';
import { RunConfigSchema, type RunConfig, type RunConfigInput } from './schema.ts';
import { applyFlags, setAt, type FlagValues } from './flags.ts';
import { flagSpellingHint } from './flag-spelling.ts';
import { numbersFromText, numberTextHint } from './number-text.ts';
import { durationMs } from '../util/duration.ts';
import { valueAt } from './key-path.ts';

/** Overrides from the command line: flag values by their name in the flag table (runtime/config/flags.ts). */
export type ConfigOverrides = FlagValues;

/** Read a YAML or JSON file into a plain object; throws naming the file and the parse error. */
export function readConfigFile(path: string): Record<string, unknown> {
  if (!existsSync(path)) throw new Error(`config file not found: ${path}`);
  const text = readFileSync(path, 'utf8');
  let doc: unknown;
  try {
    // yaml is loaded only for YAML files (a few MB a gateway configured in code or JSON does not need).
    doc = path.endsWith('.json') ? JSON.parse(text) : (createRequire(import.meta.url)('yaml') as typeof import('yaml')).parse(text);
  } catch (err) {
    throw new Error(`config file ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error(`config file ${path} must hold a mapping of keys (model, broker, source, ...)`);
  return doc as Record<string, unknown>;
}

/** The config keys the environment may set, each with its variable. */
const ENV_SECRETS = [
  ['broker.password', 'VIGIL_MQTT_PASSWORD'],
  ['broker.username', 'VIGIL_MQTT_USERNAME'],
  ['http.token', 'VIGIL_HTTP_TOKEN'],
] as const;

/** Lay command-line flags and secrets from the environment over a raw config object (before validation). */
export function applyOverrides(raw: Record<string, unknown>, o: ConfigOverrides, env: NodeJS.ProcessEnv = process.env): Record<string, unknown> {
  let out = applyFlags(raw, o);
  for (const [key, name] of ENV_SECRETS) if (env[name]) out = setAt(out, key, env[name]);
  return out;
}

/**
 * A config error whose lines name a key the environment set say so: a token too short in the service's
 * EnvironmentFile was reported as `http.token`, which the config file did not hold (a probe).
 */
function namingEnvSources(err: Error, env: NodeJS.ProcessEnv): Error {
  let message = err.message;
  for (const [key, name] of ENV_SECRETS) {
    if (env[name]) message = message.replace(new RegExp(`^(  ${key.replace('.', '\\.')}: .*)$`, 'gm'), `$1 (from ${name} in the environment)`);
  }
  return message === err.message ? err : new Error(message);
}

/** What to give for each required key that is missing. */
const REQUIRED: Record<string, string> = {
  model: 'missing; expected a model path (models/NAME for NAME.onnx + NAME.json), or give --model',
  broker: 'missing; expected broker.url (mqtt://host:1883), or give --broker',
  'broker.url': 'missing; expected a broker URL (mqtt://host:1883), or give --broker',
  source: "missing; expected source.topics (e.g. ['sensors/+/data']), or give --topic",
  'source.topics': "missing; expected a list of topic filters or templates (e.g. ['sensors/+/data']), or give --topic",
};

/**
 * A raw config with every `...Ms` key written as a duration (`60s`, `500ms`, `10m`, `2h`, `1d`) turned into its
 * milliseconds, as the command-line flags take them (a probe's `minMs: "60s"` was refused). A bare number stays ms.
 */
function durationsAsMs(raw: unknown): unknown {
  if (Array.isArray(raw)) return raw.map(durationsAsMs);
  if (typeof raw !== 'object' || raw === null) return raw;
  return Object.fromEntries(Object.entries(raw).map(([k, v]) => [k, k.endsWith('Ms') && typeof v === 'string' ? (durationMs(v) ?? v) : durationsAsMs(v)]));
}

/**
 * A switch written as a word (`clean: no`, `watch: "true"`): YAML 1.2 reads yes/no/on/off as text, so say what to
 * write (a probe saw only "expected boolean, received string").
 */
function booleanHint<I extends ZodError['issues'][number]>(issue: I, value: unknown): I {
  if (issue.code !== 'invalid_type' || (issue as { expected?: string }).expected !== 'boolean' || typeof value !== 'string') return issue;
  return { ...issue, message: `expected true or false, unquoted, got ${JSON.stringify(value)} (YAML reads yes/no and on/off as text)` };
}

/** Validate a raw config; throws one error listing every bad key and what it expects. */
export function parseConfig(input: unknown, where = 'config'): RunConfig {
  let raw = durationsAsMs(input);
  let res = RunConfigSchema.safeParse(raw);
  // A number written as text (`port: "9100"`) is read as that number, then the whole config checked again (a check
  // that ran only once the keys read, such as openK <= openN, sees the numbers). Each round turns text into numbers
  // only, so it ends.
  let fixed: unknown;
  while (!res.success && (fixed = numbersFromText(raw, res.error.issues)) !== undefined) {
    raw = fixed;
    res = RunConfigSchema.safeParse(raw);
  }
  if (res.success) return res.data;
  // zod does not keep the input on issues, so look the value up: "expected string, received undefined" says
  // nothing a person can act on, so a missing key says what to give instead.
  const missing = res.error.issues.filter((i) => i.code === 'invalid_type' && valueAt(raw, i.path) === undefined);
  const issues = res.error.issues.map((i) => (missing.includes(i) ? { ...i, message: REQUIRED[i.path.join('.')] ?? 'missing; this key is required' } : flagSpellingHint(numberTextHint(booleanHint(i, valueAt(raw, i.path)), valueAt(raw, i.path)), raw as Record<string, unknown>)));
  const hint = missing.some((i) => ['model', 'broker', 'source'].includes(String(i.path[0])))
    ? '\n(give --model, --broker and --topic, or set model, broker.url and source.topics in the config file)'
    : '';
  throw new Error(describeIssues(new ZodError(issues), where, RunConfigSchema) + hint);
}

/** Load a config from an optional file plus overrides. */
export function loadConfig(file: string | undefined, overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = process.env): RunConfig {
  const raw = file ? readConfigFile(file) : {};
  try {
    return parseConfig(applyOverrides(raw, overrides, env), file ? `config ${file}` : 'config');
  } catch (err) {
    throw namingEnvSources(err as Error, env);
  }
}

/**
 * The sections `keys` of config file `path`, durations read as ms, the rest (broker, source, ...) left out: what a
 * command that uses part of the run config lays its flags over (`vigil score --config`, so a replay scored offline
 * runs under the gateway's own threshold, smoothing, alert and window settings).
 */
export function readConfigSections(path: string, keys: readonly string[]): Record<string, unknown> {
  const doc = readConfigFile(path);
  return durationsAsMs(Object.fromEntries(Object.entries(doc).filter(([k]) => keys.includes(k)))) as Record<string, unknown>;
}

/** Build a config in code (tests, embedding); same validation and defaults as a file. */
export function defineConfig(input: RunConfigInput): RunConfig {
  return parseConfig(input);
}

/** A copy safe to log or print: passwords and key paths' contents never appear (paths do). */
export function redactConfig(cfg: RunConfig): RunConfig {
  const copy = structuredClone(cfg);
  if (copy.broker.password !== undefined) copy.broker.password = '***';
  if (copy.http.token !== undefined) copy.http.token = '***';
  copy.broker.url = redactUrl(copy.broker.url);
  if (copy.alerts.webhook) {
    copy.alerts.webhook.url = webhookShown(copy.alerts.webhook.url);
    copy.alerts.webhook.headers = Object.fromEntries(Object.keys(copy.alerts.webhook.headers).map((k) => [k, '***']));
  }
  return copy;
}

