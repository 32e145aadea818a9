/**
 * Where `vigil adapt` keeps the versions it replaced: `DIR/NAME.versions/<version>/NAME.json` + `NAME.onnx`, each a
 * loadable model. Written by train/adapt/model-versions.ts; read by the runtime's rollback watch, which asks the
 * previous version for a second opinion (second-opinion.ts).
 */
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';

/** `DIR/NAME` without extension. */
export function modelBase(model: string): string {
  return model.replace(/\.(json|onnx)$/, '');
}

/** The store folder of a model. */
export function versionsDir(model: string): string {
  return `${modelBase(model)}.versions`;
}

/** The kept pair of `version` (a model path, `DIR/NAME.versions/<version>/NAME`), or undefined when not kept. */
export function keptModelPath(model: string, version: string): string | undefined {
  const name = basename(modelBase(model));
  const at = join(versionsDir(model), version, name);
  return existsSync(`${at}.json`) && existsSync(`${at}.onnx`) ? at : undefined;
}
