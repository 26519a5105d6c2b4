/**
 * Every error code Slipway raises, with what it means and what to do about it.
 * Codes are stable: they are the `type` of Temporal failures and appear in API responses.
 */
export const ERROR_DOCS = {
  InvalidPipelineInput: 'The pipeline input or spec failed validation; fix each listed JSON path.',
  DataSourceError: 'A data source is missing, unreadable, empty, lacks a column the spec reads, or has no rows in the window.',
  DataValidationFailed: 'The data failed a validation check with severity "fail"; see the report.',
  ArtifactIntegrityError: 'An artifact is missing, outside the store, or its sha256 does not match.',
  TrainingFailed: 'The trainer failed or wrote no model; its last output is in the message.',
  EvaluationFailed: 'A model could not be scored on the holdout (incompatible inputs or corrupt file).',
  RegistryError: 'A registry write conflicted or referenced an unknown model, version or alias.',
  ConfigError: 'An environment variable has an invalid value; the message names it.',
  Unauthenticated: 'No valid API token was presented (HTTP 401): send "Authorization: Bearer <token>" with a token an admin created.',
  PermissionDenied: 'The token is valid but its principal lacks the role or model grant the action needs (HTTP 403); ask an admin.',
  AccessControlError: 'A principal, token or grant request was invalid or named something unknown; the message names the field.',
  ServingUnavailable: 'The model server did not answer or answered 5xx (retried: it may be restarting); check SLIPWAY_SERVE_URL and the server.',
  DeploymentRefused: 'The model server refused a deployment (an artifact failed its sha256 check, an unknown version, a bad token); the running split is unchanged.',
  ServingNotConfigured: 'A canary or serving step ran on a worker without SLIPWAY_SERVE_URL; set it to the model server\'s address.',
  InvalidRetrainPolicy: 'A continuousTraining policy failed validation at its check; each line names the field (e.g. policy.onLiveQuality.minLabels).',
  CanaryBusy: 'Another canary of the same model is running; only one canary per model runs at a time. Wait for it or abort it.',
  InvalidWorkflowInput: 'A workflow started with an invalid input field (e.g. continuousTraining checkEvery); the message names the field, the value and the accepted forms.',
  StepFailed: 'A step failed with an error that carried no code of its own; the message is the step\'s.',
  AuditError: 'An audit entry was invalid (actor, action, target) or the audit log could not be written.',
  ModelContractMismatch: 'An imported ONNX model does not meet its declared task and feature contract (input names and types, output names and shapes); the message names each mismatch.',
} as const;

export type ErrorCode = keyof typeof ERROR_DOCS;

export const ERROR_CODES = Object.freeze(
  Object.fromEntries(Object.keys(ERROR_DOCS).map((k) => [k, k])) as { [K in ErrorCode]: K },
);
