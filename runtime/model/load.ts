/**
 * Load a model by its path without extension (`models/NAME`, or either file): read and validate the card,
 * read the .onnx, check its sha256, and hand both over. Mismatches fail with what was expected.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
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

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * The bytes of one of a model's files, or an error that says why not: missing, or not readable by the user vigil runs
 * as (a probe: a folder only root could enter read as "model card not found", an unreadable card as "not valid JSON").
 */
function readModelFile(path: string, what: string, missing: (path: string) => string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    if (e.code === 'ENOENT') throw new Error(missing(path));
    if (e.code === 'EACCES' || e.code === 'EPERM') {
      throw new Error(`${what} ${path} cannot be read: permission denied for user ${userName()} (it needs read access to the file and search (x) access to every folder above it)`);
    }
    throw new Error(`${what} ${path} cannot be read: ${e.message}`);
  }
}

function userName(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

/** Load and verify a model; throws a clear error for a missing file, bad card, checksum or shape mismatch. */
export function loadModel(model: string): LoadedModel {
  // A folder given as the model (not one that merely shares the model's name: models/pump/ beside models/pump.json).
  if (!existsSync(cardPathOf(model)) && isFolder(model)) throw new Error(`model ${model} is a folder; expected the model's path without extension, e.g. ${join(model, 'NAME')} for ${join(model, 'NAME.json')} and NAME.onnx`);
  const cardPath = cardPathOf(model);
  const text = readModelFile(cardPath, 'model card', (p) => `model card not found: ${p} (expected NAME.json beside NAME.onnx)`);
  let json: unknown;
  try {
    json = JSON.parse(text.toString('utf8'));
  } catch (err) {
    throw new Error(`model card ${cardPath} is not valid JSON: ${(err as Error).message}`);
  }
  const card = parseCard(json, `model card ${cardPath}`);
  const onnxPath = join(dirname(cardPath), card.onnx.file);
  // A pair renamed together (trained as pumpv2, copied over pump.json and pump.onnx: a probe's hot reload was refused
  // for the file name the card kept): NAME.onnx beside the card serves when it is the file the card's sha256 names.
  const beside = cardPath.replace(/\.json$/, '.onnx');
  const read = (path: string) => (existsSync(path) ? new Uint8Array(readModelFile(path, 'model file', (p) => `model file not found: ${p}`)) : undefined);
  const named = read(onnxPath);
  if (named && sha256(named) === card.onnx.sha256) return { card, onnx: named, cardPath, onnxPath };
  const renamed = beside !== onnxPath ? read(beside) : undefined;
  if (renamed && sha256(renamed) === card.onnx.sha256) return { card, onnx: renamed, cardPath, onnxPath: beside };
  if (!named) throw new Error(`model file not found: ${onnxPath} (named by ${cardPath} onnx.file${beside !== onnxPath ? `; ${beside} ${renamed ? 'is another model (its sha256 differs from the card\'s)' : 'is not there either'}` : ''})`);
  throw new Error(`model file ${onnxPath} has sha256 ${sha256(named)}; expected ${card.onnx.sha256} from its card (file replaced or corrupt?)`);
}
