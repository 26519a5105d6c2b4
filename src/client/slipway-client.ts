/**
 * The TypeScript client other Node services use to drive Slipway: start pipelines
 * (idempotently), read their status, cancel them, list runs.
 */
import { createHash } from 'node:crypto';
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowExecutionInfo,
} from '@temporalio/client';
import type { Principal } from '../auth/principal';
import { decisionToken, runTicket } from '../auth/signed-claims';
import type { ApprovalRequest, ApprovalState } from '../workflows/approval-gate';
import { abortSignal, approveUpdate, rejectUpdate, statusQuery } from '../workflows/definitions';
import type { PipelineResult, PipelineStatus } from '../workflows/pipeline-status';

export interface SlipwayClientOptions {
  taskQueue: string;
  /** Base URL of the Temporal Web UI, for links. */
  uiUrl?: string;
  namespace?: string;
  /**
   * SLIPWAY_RUN_SIGNING_KEY: with it, runs started and decisions made for a principal carry a
   * claim the worker verifies (src/auth/signed-claims.ts). Without it nothing is signed.
   */
  signingKey?: string;
}

export interface StartOptions {
  /**
   * A retried call with the same key never starts a second run: the key maps to the
   * workflow id, and Temporal refuses a duplicate id.
   */
  idempotencyKey?: string;
  workflowId?: string;
  /** Who starts the run (authenticated by the caller): signed into the input's `ticket`. */
  principal?: Principal;
}

export interface StartedRun {
  workflowId: string;
  runId: string;
  url?: string;
  /** False when an earlier call with the same idempotency key had already started the run. */
  created: boolean;
}

export interface RunSummary {
  workflowId: string;
  runId: string;
  status: string;
  startTime: string;
  closeTime?: string;
  model?: string;
  pipeline?: string;
  stage?: string;
  outcome?: string;
}

export interface ListRunsFilter {
  model?: string;
  pipeline?: string;
  outcome?: string;
  limit?: number;
}

const KEY_PATTERN = /^[A-Za-z0-9._:-]{1,200}$/;

export class SlipwayClient {
  constructor(
    readonly temporal: Client,
    private readonly options: SlipwayClientOptions,
  ) {}

  async startPipeline(rawInput: Record<string, unknown>, opts: StartOptions = {}): Promise<StartedRun> {
    // A ticket in the caller's input is never trusted, only one signed here for this run.
    const { ticket: _ignored, ...unsigned } = rawInput;
    const workflowId = opts.workflowId ?? workflowIdFor(unsigned, opts.idempotencyKey);
    const input = this.options.signingKey && opts.principal ? { ...unsigned, ticket: runTicket(this.options.signingKey, opts.principal, workflowId, unsigned) } : unsigned;
    try {
      const handle = await this.temporal.workflow.start('pipeline', {
        taskQueue: this.options.taskQueue,
        workflowId,
        args: [input],
        // A closed run with the same id also counts: the key was used, the work was done.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary: `pipeline ${String(input.pipeline ?? 'inline')}`,
      });
      return { workflowId, runId: handle.firstExecutionRunId, url: this.url(workflowId, handle.firstExecutionRunId), created: true };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError) || !opts.idempotencyKey) throw err;
      const described = await this.temporal.workflow.getHandle(workflowId).describe();
      return { workflowId, runId: described.runId, url: this.url(workflowId, described.runId), created: false };
    }
  }

  /** The run's live status (the workflow's `status` query). */
  async getStatus(workflowId: string): Promise<PipelineStatus> {
    return this.temporal.workflow.getHandle(workflowId).query(statusQuery);
  }

  /** Waits for the run to finish; throws WorkflowFailedError when it failed. */
  async result(workflowId: string): Promise<PipelineResult> {
    return this.temporal.workflow.getHandle(workflowId).result();
  }

  /**
   * Approves the promotion a run waits for; refused (WorkflowUpdateFailedError) when none waits,
   * or when the worker cannot verify `principal`'s decision token and grant.
   */
  async approve(workflowId: string, request: ApprovalRequest, principal?: Principal): Promise<ApprovalState> {
    return this.temporal.workflow.getHandle(workflowId).executeUpdate(approveUpdate, { args: [this.signed(workflowId, 'approve', request, principal)] });
  }

  /** Rejects the promotion a run waits for; the alias does not move. */
  async reject(workflowId: string, request: ApprovalRequest, principal?: Principal): Promise<ApprovalState> {
    return this.temporal.workflow.getHandle(workflowId).executeUpdate(rejectUpdate, { args: [this.signed(workflowId, 'reject', request, principal)] });
  }

  /** Aborts the canary of `model` (its traffic goes to 0, the champion stays), signed for `principal` when this client signs. */
  async abortCanary(model: string, request: { by: string; reason: string }, principal?: Principal): Promise<void> {
    const workflowId = `canary-${model}`;
    const signed = this.options.signingKey && principal ? { ...request, by: principal.name, token: decisionToken(this.options.signingKey, principal, workflowId, 'abort') } : request;
    await this.temporal.workflow.getHandle(workflowId).signal(abortSignal, signed);
  }

  /** The decision with a token for `principal` when this client signs; a name alone proves nothing. */
  private signed(workflowId: string, decision: 'approve' | 'reject', request: ApprovalRequest, principal?: Principal): ApprovalRequest {
    const { token: _ignored, ...rest } = request;
    if (!this.options.signingKey || !principal) return rest;
    return { ...rest, approver: principal.name, token: decisionToken(this.options.signingKey, principal, workflowId, decision) };
  }

  /** The workflow's type and whether a schedule started it, or undefined when there is no such workflow. */
  async describeRun(workflowId: string): Promise<{ type: string; taskQueue: string; scheduled: boolean; running: boolean } | undefined> {
    try {
      const d = await this.temporal.workflow.getHandle(workflowId).describe();
      const scheduledBy = d.searchAttributes?.TemporalScheduledById;
      return { type: d.type, taskQueue: d.taskQueue, scheduled: Array.isArray(scheduledBy) ? scheduledBy.length > 0 : scheduledBy !== undefined, running: d.status.name === 'RUNNING' };
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }

  async cancel(workflowId: string): Promise<void> {
    await this.temporal.workflow.getHandle(workflowId).cancel();
  }

  async exists(workflowId: string): Promise<boolean> {
    try {
      await this.temporal.workflow.getHandle(workflowId).describe();
      return true;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /** Newest first, filtered on Slipway's search attributes. */
  async listRuns(filter: ListRunsFilter = {}): Promise<RunSummary[]> {
    const clauses = [`WorkflowType = 'pipeline'`, `TaskQueue = ${quote(this.options.taskQueue)}`];
    if (filter.model) clauses.push(`SlipwayModel = ${quote(filter.model)}`);
    if (filter.pipeline) clauses.push(`SlipwayPipeline = ${quote(filter.pipeline)}`);
    if (filter.outcome) clauses.push(`SlipwayOutcome = ${quote(filter.outcome)}`);
    const runs: RunSummary[] = [];
    for await (const info of this.temporal.workflow.list({ query: clauses.join(' AND ') })) {
      runs.push(toSummary(info));
      if (runs.length >= (filter.limit ?? 50)) break;
    }
    return runs;
  }

  /** The orchestration task queue this client starts pipelines on. */
  get taskQueue(): string {
    return this.options.taskQueue;
  }

  /** The key decisions and run tickets are signed with (for rollbacks started beside this client). */
  get signingKey(): string | undefined {
    return this.options.signingKey;
  }

  url(workflowId: string, runId: string): string | undefined {
    if (!this.options.uiUrl) return undefined;
    const ns = encodeURIComponent(this.options.namespace ?? 'default');
    return `${this.options.uiUrl}/namespaces/${ns}/workflows/${encodeURIComponent(workflowId)}/${encodeURIComponent(runId)}/history`;
  }
}

/** `<pipeline>-<key>` when a key is given (so ids stay readable in the UI); otherwise unique. */
export function workflowIdFor(input: Record<string, unknown>, idempotencyKey?: string): string {
  const prefix = typeof input.pipeline === 'string' ? input.pipeline : 'pipeline';
  if (idempotencyKey === undefined) return `${prefix}-${new Date().toISOString().replace(/[:.]/g, '-')}-${Math.random().toString(36).slice(2, 8)}`;
  if (!KEY_PATTERN.test(idempotencyKey)) {
    // Arbitrary keys (URLs, JSON) still map to one id, through their digest.
    return `${prefix}-k${createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 24)}`;
  }
  return `${prefix}-${idempotencyKey}`;
}

function toSummary(info: WorkflowExecutionInfo): RunSummary {
  const sa = info.typedSearchAttributes;
  const get = (name: string) => {
    const pair = sa.getAll().find((p) => p.key.name === name);
    return pair ? String(pair.value) : undefined;
  };
  return {
    workflowId: info.workflowId,
    runId: info.runId,
    status: info.status.name,
    startTime: info.startTime.toISOString(),
    closeTime: info.closeTime?.toISOString(),
    model: get('SlipwayModel'),
    pipeline: get('SlipwayPipeline'),
    stage: get('SlipwayStage'),
    outcome: get('SlipwayOutcome'),
  };
}

const quote = (v: string): string => `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
