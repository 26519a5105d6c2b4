export { pipeline } from './pipeline-workflow';
export { continuousTraining } from './continuous-training-workflow';
export { canary } from './canary-workflow';
export { rollback } from './rollback-workflow';
