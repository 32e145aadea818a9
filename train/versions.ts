/** Versions recorded in the model card: tfjs, onnxruntime-node, vigil. */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  try {
    // Walk up from the resolved entry to the package's own package.json (exports maps may hide it).
    let dir = dirname(require.resolve(name));
    for (let i = 0; i < 6; i++) {
      try {
        const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
        if (pkg.name === name && pkg.version) return pkg.version;
      } catch {
        /* keep walking */
      }
      dir = dirname(dir);
    }
  } catch {
    /* not installed */
  }
  return 'unknown';
}

/** The versions that produced a model. */
export function trainingVersions(): Record<string, string> {
  const root = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
  return {
    vigil: root.version,
    tfjs: tf.version.tfjs ?? tf.version_core,
    'onnxruntime-node': packageVersion('onnxruntime-node'),
    'onnx-proto': packageVersion('onnx-proto'),
    node: process.versions.node,
  };
}
