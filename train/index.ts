/** @vigil/train: fit autoencoders with TensorFlow.js, export ONNX + model card. */
export * from './backend.ts';
export * from './models/spec.ts';
export * from './models/architectures.ts';
export * from './models/autoencoder.ts';
export * from './adam.ts';
export * from './fit.ts';
export * from './calibrate.ts';
export * from './defaults.ts';
export * from './export/graph.ts';
export * from './plot.ts';
export * from './train.ts';
