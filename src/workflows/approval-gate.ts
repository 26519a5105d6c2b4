/**
 * The state of manual promotions in one run: which step waits, until when, and what was
 * decided. Deterministic; the workflow wires it to the approve/reject updates.
 */
import type { ApprovalDecision } from '../pipeline/types';

export interface ApprovalRequest {
  /** Who approves or rejects; recorded only once verified (the token's principal), see `token`. */
  approver: string;
  reason: string;
  /** Decision token signed by the API or CLI (src/auth/signed-claims.ts); required unless a dev principal is configured. */
  token?: string;
}

/** How the decider was verified, attached by the update handler (src/workflows/verified-decisions.ts). */
export type DecisionProof = Pick<ApprovalDecision, 'verifiedBy' | 'claimed' | 'token'>;

export interface ApprovalState {
  stepId: string;
  state: 'pending' | 'approved' | 'rejected';
  requestedAt: string;
  deadline: string;
  onTimeout: 'reject' | 'approve';
  /** The alias a decision moves (pipeline runs); absent in runs from before verified decisions. */
  alias?: string;
  decision?: ApprovalDecision;
}

export class ApprovalGate {
  private current?: ApprovalState;

  /** @param idleMessage the validator's answer when nothing waits for a decision. */
  constructor(private readonly idleMessage = 'no promotion is waiting for approval in this run') {}

  open(stepId: string, now: number, timeoutMs: number, onTimeout: 'reject' | 'approve', alias?: string): void {
    this.current = {
      stepId,
      state: 'pending',
      requestedAt: new Date(now).toISOString(),
      deadline: new Date(now + timeoutMs).toISOString(),
      onTimeout,
      ...(alias !== undefined && { alias }),
    };
  }

  get pending(): boolean {
    return this.current?.state === 'pending';
  }

  get decision(): ApprovalDecision | undefined {
    return this.current?.decision;
  }

  /** Throws when the request cannot be accepted; runs in the update validator, before history. */
  validate(request: ApprovalRequest | undefined): void {
    if (!this.pending) throw new Error(this.idleMessage);
    if (!request || typeof request.approver !== 'string' || request.approver.trim() === '') {
      throw new Error('approver: say who decides, e.g. {"approver":"alice","reason":"reviewed the evaluation report"}');
    }
    if (typeof request.reason !== 'string' || request.reason.trim() === '') {
      throw new Error('reason: give a reason; it is recorded with the model version');
    }
  }

  decide(decision: 'approved' | 'rejected', request: ApprovalRequest, now: number, proof?: DecisionProof): ApprovalState {
    if (!this.current) throw new Error('no approval requested');
    const made: ApprovalDecision = { decision, approver: request.approver.trim(), reason: request.reason.trim(), at: new Date(now).toISOString(), ...proof };
    this.current = { ...this.current, state: decision, decision: made };
    return this.snapshot()!;
  }

  /** Applies the documented default when the deadline passed without a decision. */
  timeOut(now: number): void {
    if (!this.current || !this.pending) return;
    const decision = this.current.onTimeout === 'approve' ? 'approved' : 'rejected';
    this.decide(decision, { approver: 'timeout', reason: `no decision by ${this.current.deadline}; the default is to ${this.current.onTimeout}` }, now);
  }

  /** The state as queries show it: never the decision token (a credential, if a spent one). */
  snapshot(): ApprovalState | undefined {
    if (!this.current) return undefined;
    if (!this.current.decision?.token) return { ...this.current };
    const { token: _token, ...decision } = this.current.decision;
    return { ...this.current, decision };
  }
}
