/**
 * Roles, actions, and the one table saying which role each action needs. The HTTP API, CLI
 * and model server check requests against this table through `authorize`; add a row here
 * when adding an endpoint that reads or changes something. Which spec fields each role may set
 * (a model's owner sets its promotion policy; inline commands need an admin's allowance) is the
 * sibling table in `spec-policy.ts`; Temporal updates are checked by the same rules
 * (`run.approve`/`run.reject` with the grant) in the worker's `verifyDecision` activity.
 */

/**
 * - `viewer`: reads models, runs and the audit log.
 * - `operator`: starts and cancels runs.
 * - `approver`: approves or rejects candidates, promotes and rolls back (alias moves also need
 *   a per-model grant), and tags versions of the models it holds a grant on.
 * - `admin`: everything, including tokens, principals, grants, schedules and schema pins.
 * - `labeler`: a label source (a machine, usually): posts ground truth to the model server's
 *   feedback route of the models it has a grant on, and nothing else, not even reads.
 *
 * Every role but `labeler` can do what `viewer` can, and `admin` can do everything; otherwise
 * roles are independent, so an approver who should also start runs holds both roles.
 */
export const ROLES = ['viewer', 'operator', 'approver', 'admin', 'labeler'] as const;
export type Role = (typeof ROLES)[number];

/** What an action requires. */
export interface ActionRule {
  role: Role;
  /** Moves an alias: non-admins also need a grant for the model (and alias) acted on. */
  aliasGrant: boolean;
  /** Acts on one model's data: non-admins also need a grant naming the model (any alias). */
  modelGrant?: boolean;
  /** For docs and error messages. */
  description: string;
}

export const ACTION_RULES = {
  'model.read': { role: 'viewer', aliasGrant: false, description: 'list models and versions; read lineage, model cards, comparisons, alias history' },
  'run.read': { role: 'viewer', aliasGrant: false, description: 'list runs and read their status' },
  'audit.read': { role: 'viewer', aliasGrant: false, description: 'query and verify the audit log' },
  'run.start': { role: 'operator', aliasGrant: false, description: 'start a pipeline run' },
  'run.cancel': { role: 'operator', aliasGrant: false, description: 'cancel a pipeline run' },
  // Tags label versions for people and tools downstream (MLflow's habit), so they are an approver's call on models it is granted.
  'version.annotate': { role: 'approver', aliasGrant: false, modelGrant: true, description: "set or remove a version's tags and edit its description (granted per model, any alias)" },
  // A model made elsewhere becomes a version of a model the approver is granted; it moves no alias (a pipeline's gates and canary still decide).
  'model.import': { role: 'approver', aliasGrant: false, modelGrant: true, description: 'register an ONNX model trained elsewhere as a new version, checked against its declared contract (granted per model, any alias)' },
  'run.approve': { role: 'approver', aliasGrant: true, description: 'approve a candidate waiting for sign-off, which promotes it' },
  'run.reject': { role: 'approver', aliasGrant: true, description: 'reject a candidate waiting for sign-off (granted like approving: on the model and the alias the run promotes)' },
  'model.promote': { role: 'approver', aliasGrant: true, description: 'point an alias at a newer version' },
  'model.rollback': { role: 'approver', aliasGrant: true, description: 'point an alias back at an earlier version' },
  'alias.move': { role: 'approver', aliasGrant: true, description: 'move any alias of a model' },
  'deployment.change': { role: 'approver', aliasGrant: true, description: "set or remove a model's traffic split on the model server (granted like its champion alias)" },
  // Off unless the model server enables it (SLIPWAY_SERVE_PREDICT_AUTH): then any role but labeler may predict.
  predict: { role: 'viewer', aliasGrant: false, description: "ask the model server for predictions (only when it requires a token for them)" },
  // Labels decide canaries and retraining, so only authenticated sources granted the model may post them.
  feedback: { role: 'labeler', aliasGrant: false, modelGrant: true, description: "post ground-truth labels for a model's predictions to the model server" },
  // A model served elsewhere feeds drift, live quality and retraining through these logs: same trust as labels.
  'predictions.log': { role: 'labeler', aliasGrant: false, modelGrant: true, description: "post prediction logs of a model served elsewhere (KServe CloudEvents, NDJSON) to the model server's inference log" },
  'data.release': { role: 'approver', aliasGrant: true, description: "release or discard a quarantined data batch of a model (granted like its champion alias)" },
  // Deletes bytes and discards batches nobody decided on: an operation on the whole store, not one model's call.
  'data.sweep': { role: 'admin', aliasGrant: false, description: 'run the quarantine sweep now: discard batches undecided beyond the retention, delete discarded batches\' unreferenced bytes' },
  'schedule.manage': { role: 'admin', aliasGrant: false, description: 'create, change and delete schedules' },
  'schema.pin': { role: 'admin', aliasGrant: false, description: 'pin or unpin a data schema' },
  'token.manage': { role: 'admin', aliasGrant: false, description: 'create and revoke API tokens; manage principals and grants' },
} as const satisfies Record<string, ActionRule>;

export type Action = keyof typeof ACTION_RULES;
export const ACTIONS = Object.keys(ACTION_RULES) as Action[];

export const isRole = (value: unknown): value is Role => typeof value === 'string' && (ROLES as readonly string[]).includes(value);
export const isAction = (value: unknown): value is Action => typeof value === 'string' && Object.hasOwn(ACTION_RULES, value);
