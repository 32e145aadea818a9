/**
 * @vigil/runtime: what an application embedding vigil needs. Start the live detector from a config, or load a model,
 * open it and score a recorded series; build thresholds and codecs by name; read the alert messages it publishes.
 * The modules other vigil packages share (CSV records, windows, scaling, scoring, options) are the subpaths named in
 * package.json's `exports`; nothing else is public.
 */

// The live runtime and its configuration (defaults live in the schema).
export { startRuntime, type RuntimeDeps, type RuntimeHandle } from './ops/runtime.ts';
export { defineConfig, loadConfig, parseConfig } from './config/load.ts';
export { RunConfigSchema, type RunConfig, type RunConfigInput } from './config/schema.ts';
export type { AlertEvent, RawMessage, Reading, Rejected, Verdict } from './stream/types.ts';

// A model (NAME.onnx + NAME.json): load the pair, open a session, score a recorded series.
export { loadModel, type LoadedModel } from './model/load.ts';
export { parseCard, ModelCardSchema, type ModelCard } from './model/card.ts';
export { openModel, type OpenedModel, type OpenModelOptions } from './inference/open-model.ts';
export { readCsv, parseCsv, type CsvOptions, type FillPolicy } from './data/csv.ts';
export type { Series } from './data/series.ts';
export { scoreSeries, type SeriesScoreOptions, type SeriesScores } from './stream/score-series.ts';

// Thresholds and payload codecs, each built by name from a serialisable config.
export { createThreshold, restoreThreshold, THRESHOLD_KINDS, type ThresholdKind } from './thresholds/factory.ts';
export type { Threshold, ThresholdState } from './thresholds/threshold.ts';
export { createCodec, CODEC_KINDS, CodecConfigSchema, type CodecConfig, type CodecKind } from './codecs/registry.ts';
export type { Codec, CodecContext, DecodeResult } from './codecs/codec.ts';

// What the runtime publishes: the alert message schema (its consumers parse with it) and its topic.
export { ALERT_SCHEMA, AlertMessagePayloadSchema, AlertPayloadSchema, alertTopic, type AlertMessagePayload, type AlertPayload } from './mqtt/alert-payload.ts';

// A fleet's publishers put the partition into the topic with the function the workers use.
export { partitionTopic } from './fleet/partition.ts';
