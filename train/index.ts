/**
 * @vigil/train: fit an autoencoder on a series and export it as NAME.onnx + NAME.json (the model card the runtime
 * serves). The modules other vigil packages share are the subpaths named in package.json's `exports`.
 */
export { trainModel, resolveOptions, type TrainOptions, type TrainResult } from './train.ts';
export { ARCHITECTURES, type ArchName } from './models/architectures.ts';
export { TRAIN_BACKENDS, type TrainBackendName } from './backend.ts';
