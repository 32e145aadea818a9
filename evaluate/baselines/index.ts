/** Classical baselines for labelled evaluation: per-channel robust z-score and PCA T^2 + Q. */
export * from './baseline.ts';
export * from './zscore.ts';
export * from './pca.ts';
export * from './run.ts';
export { symmetricEigen, type Eigen } from './eigen.ts';
export { fQuantile, normalQuantile } from './distributions.ts';
