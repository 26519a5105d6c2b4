/**
 * Slipway's error hierarchy. Each class has a stable `name` that doubles as the
 * Temporal `ApplicationFailure` type at the activity boundary, so callers and the UI
 * can tell failures apart without reading messages.
 */
import { ERROR_CODES, type ErrorCode } from './error-codes';

export interface SlipwayErrorOptions {
  cause?: unknown;
  /** Small JSON context (field, value, limit) attached to the failure's details. */
  details?: Record<string, unknown>;
}

export abstract class SlipwayError extends Error {
  abstract readonly code: ErrorCode;
  /** Permanent errors fail the step at once; transient ones are retried by Temporal. */
  abstract readonly retryable: boolean;
  readonly details: Record<string, unknown>;

  constructor(message: string, options: SlipwayErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.details = options.details ?? {};
  }
}

/** The pipeline input or spec is invalid; `problems` lists each with its JSON path. */
export class InvalidPipelineInputError extends SlipwayError {
  override readonly name = 'InvalidPipelineInput';
  readonly code = ERROR_CODES.InvalidPipelineInput;
  readonly retryable = false;
  constructor(readonly problems: string[], options: SlipwayErrorOptions = {}) {
    super(`Invalid pipeline input:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { ...options, details: { problems, ...options.details } });
  }
}

/** A continuous-training policy is invalid; `problems` lists each as `policy.<field>: <what is wrong>`. */
export class InvalidRetrainPolicyError extends SlipwayError {
  override readonly name = 'InvalidRetrainPolicy';
  readonly code = ERROR_CODES.InvalidRetrainPolicy;
  readonly retryable = false;
  constructor(readonly problems: string[], options: SlipwayErrorOptions = {}) {
    super(`Invalid continuous-training policy:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { ...options, details: { problems, ...options.details } });
  }
}

/**
 * Another canary of the same model is running. Raised by the pipeline workflow (as a non-retryable
 * failure of this type) when its canary child's id is taken; the class documents the code.
 */
export class CanaryBusyError extends SlipwayError {
  override readonly name = 'CanaryBusy';
  readonly code = ERROR_CODES.CanaryBusy;
  readonly retryable = false;
}

/** A data source is missing, unreadable or yields no usable rows. */
export class DataSourceError extends SlipwayError {
  override readonly name = 'DataSourceError';
  readonly code = ERROR_CODES.DataSourceError;
  readonly retryable = false;
}

/** Data failed validation checks; nothing downstream may run. */
export class DataValidationError extends SlipwayError {
  override readonly name = 'DataValidationFailed';
  readonly code = ERROR_CODES.DataValidationFailed;
  readonly retryable = false;
}

/** An artifact is missing, escapes the store, or its bytes do not match its sha256. */
export class ArtifactIntegrityError extends SlipwayError {
  override readonly name = 'ArtifactIntegrityError';
  readonly code = ERROR_CODES.ArtifactIntegrityError;
  readonly retryable = false;
}

/** The trainer failed or produced no model. */
export class TrainingError extends SlipwayError {
  override readonly name = 'TrainingFailed';
  readonly code = ERROR_CODES.TrainingFailed;
  readonly retryable = false;
}

/** A model could not be scored (incompatible inputs, corrupt ONNX). */
export class EvaluationError extends SlipwayError {
  override readonly name = 'EvaluationFailed';
  readonly code = ERROR_CODES.EvaluationFailed;
  readonly retryable = false;
}

/** A registry write conflicted with a concurrent one or referenced something unknown. */
export class RegistryError extends SlipwayError {
  override readonly name = 'RegistryError';
  readonly code = ERROR_CODES.RegistryError;
  readonly retryable = false;
}

/** Configuration from the environment is invalid. */
export class ConfigError extends SlipwayError {
  override readonly name = 'ConfigError';
  readonly code = ERROR_CODES.ConfigError;
  readonly retryable = false;
}

/** No credentials, or credentials that are unknown, revoked or expired. HTTP 401. */
export class AuthenticationError extends SlipwayError {
  override readonly name = 'Unauthenticated';
  readonly code = ERROR_CODES.Unauthenticated;
  readonly retryable = false;
  /** HTTP status; fastify's error handler uses it as the response status. */
  readonly statusCode = 401;
}

/** An authenticated principal lacks the role or per-model grant an action requires. HTTP 403. */
export class PermissionDeniedError extends SlipwayError {
  override readonly name = 'PermissionDenied';
  readonly code = ERROR_CODES.PermissionDenied;
  readonly retryable = false;
  /** HTTP status; fastify's error handler uses it as the response status. */
  readonly statusCode = 403;
}

/**
 * A request to manage principals, tokens or grants was invalid or named something unknown;
 * `details.kind` says which (`invalid-input`, `unknown-principal`, `unknown-token`, `conflict`).
 */
export class AccessControlError extends SlipwayError {
  override readonly name = 'AccessControlError';
  readonly code = ERROR_CODES.AccessControlError;
  readonly retryable = false;
}

/** A workflow's own input (not a pipeline spec) has a bad field; raised in workflows as a non-retryable failure of this type. */
export class InvalidWorkflowInputError extends SlipwayError {
  override readonly name = 'InvalidWorkflowInput';
  readonly code = ERROR_CODES.InvalidWorkflowInput;
  readonly retryable = false;
}

/** A step failed with an error that carried no code of its own (the workflow's fallback type). */
export class StepFailedError extends SlipwayError {
  override readonly name = 'StepFailed';
  readonly code = ERROR_CODES.StepFailed;
  readonly retryable = false;
}

/** An audit entry was invalid, so the action it records was not done either. */
export class AuditError extends SlipwayError {
  override readonly name = 'AuditError';
  readonly code = ERROR_CODES.AuditError;
  readonly retryable = false;
}

/** An ONNX model brought in from elsewhere does not meet the contract declared for it; `problems` names each mismatch. */
export class ModelContractError extends SlipwayError {
  override readonly name = 'ModelContractMismatch';
  readonly code = ERROR_CODES.ModelContractMismatch;
  readonly retryable = false;
  constructor(readonly problems: string[], options: SlipwayErrorOptions = {}) {
    super(`The model does not meet its declared contract:\n${problems.map((p) => `  - ${p}`).join('\n')}`, { ...options, details: { problems, ...options.details } });
  }
}

export const isSlipwayError = (err: unknown): err is SlipwayError => err instanceof SlipwayError;
export const isInvalidPipelineInput = (err: unknown): err is InvalidPipelineInputError =>
  err instanceof InvalidPipelineInputError;
export const isArtifactIntegrityError = (err: unknown): err is ArtifactIntegrityError =>
  err instanceof ArtifactIntegrityError;
export const isAuthenticationError = (err: unknown): err is AuthenticationError => err instanceof AuthenticationError;
export const isPermissionDeniedError = (err: unknown): err is PermissionDeniedError => err instanceof PermissionDeniedError;

/** The model server did not answer or failed; retried, since it may be restarting. */
export class ServingUnavailableError extends SlipwayError {
  override readonly name = 'ServingUnavailable';
  readonly code = ERROR_CODES.ServingUnavailable;
  readonly retryable = true;
}

/** The model server refused a deployment change (integrity, unknown version, auth); the running split stays. */
export class DeploymentRefusedError extends SlipwayError {
  override readonly name = 'DeploymentRefused';
  readonly code = ERROR_CODES.DeploymentRefused;
  readonly retryable = false;
}

/** A serving step ran on a worker that was not given the model server's address. */
export class ServingNotConfiguredError extends SlipwayError {
  override readonly name = 'ServingNotConfigured';
  readonly code = ERROR_CODES.ServingNotConfigured;
  readonly retryable = false;
}
