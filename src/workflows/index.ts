export { pipeline } from './pipeline-workflow';
export { continuousTraining } from './continuous-training-workflow';
