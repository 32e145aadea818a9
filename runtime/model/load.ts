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
  if (!existsSync(onnxPath)) throw new Error(`model file not found: ${onnxPath} (named by ${cardPath} onnx.file)`);
  const onnx = new Uint8Array(readFileSync(onnxPath));
  const sum = sha256(onnx);
  if (sum !== card.onnx.sha256) {
    throw new Error(`model file ${onnxPath} has sha256 ${sum}; expected ${card.onnx.sha256} from its card (file replaced or corrupt?)`);
  }
  return { card, onnx, cardPath, onnxPath };
}
