/**
 * Message handles of the pipeline workflow. Clients import these to query a run; the
 * descriptions make the Temporal UI list them in its Queries dropdown.
 */
import { defineQuery } from '@temporalio/workflow';
import type { PipelineStatus } from './pipeline-status';

export const statusQuery = defineQuery<PipelineStatus>('status');
export const statusQueryDescription =
  'Current stage and, per step: state, attempts, timings and output summary.';
