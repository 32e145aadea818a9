/**
 * Load a model by its path without extension (`models/NAME`, or either file): read and validate the card,
 * read the .onnx, check its sha256, and hand both over. Mismatches fail with what was expected.
 */
import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { parseCard, type ModelCard } from './card.ts';

/** A card and the bytes of the ONNX file it describes. */
export interface LoadedModel {
  card: ModelCard;
  onnx: Uint8Array;
  /** Absolute path of the card. */
  cardPath: string;
  onnxPath: string;
}

/** Resolve `DIR/NAME`, `DIR/NAME.json` or `DIR/NAME.onnx` to the card path. */
export function cardPathOf(model: string): string {
  const base = model.replace(/\.(json|onnx)$/, '');
  return resolve(`${base}.json`);
}

/** sha256 hex of bytes. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Load and verify a model; throws a clear error for a missing file, bad card, checksum or shape mismatch. */
export function loadModel(model: string): LoadedModel {
  const cardPath = cardPathOf(model);
  if (!existsSync(cardPath)) throw new Error(`model card not found: ${cardPath} (expected NAME.json beside NAME.onnx)`);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(cardPath, 'utf8'));
  } catch (err) {
    throw new Error(`model card ${cardPath} is not valid JSON: ${(err as Error).message}`);
  }
  const card = parseCard(json, `model card ${cardPath}`);
  const onnxPath = join(dirname(cardPath), card.onnx.file);
  // A pair renamed together (trained as pumpv2, copied over pump.json and pump.onnx: a probe's hot reload was refused
  // for the file name the card kept): NAME.onnx beside the card serves when it is the file the card's sha256 names.
  const beside = cardPath.replace(/\.json$/, '.onnx');
  const read = (path: string) => (existsSync(path) ? new Uint8Array(readFileSync(path)) : undefined);
  const named = read(onnxPath);
  if (named && sha256(named) === card.onnx.sha256) return { card, onnx: named, cardPath, onnxPath };
  const renamed = beside !== onnxPath ? read(beside) : undefined;
  if (renamed && sha256(renamed) === card.onnx.sha256) return { card, onnx: renamed, cardPath, onnxPath: beside };
  if (!named) throw new Error(`model file not found: ${onnxPath} (named by ${cardPath} onnx.file${beside !== onnxPath ? `; ${beside} ${renamed ? 'is another model (its sha256 differs from the card\'s)' : 'is not there either'}` : ''})`);
  throw new Error(`model file ${onnxPath} has sha256 ${sha256(named)}; expected ${card.onnx.sha256} from its card (file replaced or corrupt?)`);
}
