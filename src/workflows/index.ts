export { pipeline } from './pipeline-workflow';
