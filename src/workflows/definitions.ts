/**
 * Message handles of the pipeline workflow. Clients import these to query a run; the
 * descriptions make the Temporal UI list them in its Queries dropdown.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { ApprovalRequest, ApprovalState } from './approval-gate';
import type { PipelineStatus } from './pipeline-status';

export const statusQuery = defineQuery<PipelineStatus>('status');
export const statusQueryDescription =
  'Current stage and, per step: state, attempts, timings and output summary.';

/** Approve a blessed candidate waiting for manual promotion: `{"approver":"alice","reason":"..."}`. */
export const approveUpdate = defineUpdate<ApprovalState, [ApprovalRequest]>('approve');
export const approveUpdateDescription =
  'Approve the promotion waiting in this run. Input: {"approver": "<who>", "reason": "<why>"}; both are recorded with the model version.';

/** Reject a candidate waiting for manual promotion; the alias does not move. */
export const rejectUpdate = defineUpdate<ApprovalState, [ApprovalRequest]>('reject');
export const rejectUpdateDescription =
  'Reject the promotion waiting in this run. Input: {"approver": "<who>", "reason": "<why>"}; the champion stays as it is.';
