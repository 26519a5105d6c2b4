/**
 * Every error code Slipway raises, with what it means and what to do about it.
 * Codes are stable: they are the `type` of Temporal failures and appear in API responses.
 */
export const ERROR_DOCS = {
  InvalidPipelineInput: 'The pipeline input or spec failed validation; fix each listed JSON path.',
  DataSourceError: 'A data source is missing, unreadable, empty or has no rows in the window.',
  DataValidationFailed: 'The data failed a validation check with severity "fail"; see the report.',
  ArtifactIntegrityError: 'An artifact is missing, outside the store, or its sha256 does not match.',
  TrainingFailed: 'The trainer failed or wrote no model; its last output is in the message.',
  EvaluationFailed: 'A model could not be scored on the holdout (incompatible inputs or corrupt file).',
  RegistryError: 'A registry write conflicted or referenced an unknown model, version or alias.',
  ConfigError: 'An environment variable has an invalid value; the message names it.',
} as const;

export type ErrorCode = keyof typeof ERROR_DOCS;

export const ERROR_CODES = Object.freeze(
  Object.fromEntries(Object.keys(ERROR_DOCS).map((k) => [k, k])) as { [K in ErrorCode]: K },
);
