/**
 * assessRetraining: checks a model's retrain triggers for the continuous-training
 * workflow — no champion yet, champion older than the policy allows, enough new rows
 * after the champion's data window — and says which fired, in words.
 */
import { resolvePipelineInput } from './resolve-pipeline';
import { queryRows, sqlIdent, sqlString, withDuckDb } from '../data/duckdb';
import { detectFormat, readerSql, resolveSourcePath } from '../data/source-path';
import type { PipelineSpec } from '../pipeline/spec-schema';
import type { IngestParams } from '../pipeline/step-params';
import type { ModelRegistry } from '../registry/model-registry';
import type { RetrainAssessment, RetrainPolicy } from '../workflows/continuous-training-status';

export interface AssessDeps {
  registry: ModelRegistry;
  pipelinesDir: string;
  duckdbThreads: number;
  now?: () => Date;
}

export interface AssessRequest {
  model: string;
  pipeline: string;
  overrides?: Record<string, Record<string, unknown>>;
  policy: RetrainPolicy;
}

const UNITS: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5 };

/** `7 days`, `12h`, `30 minutes` → milliseconds. */
export function durationMs(text: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)[a-z]*$/.exec(text.trim());
  if (!m) throw new Error(`not a duration: "${text}"`);
  return Number(m[1]) * UNITS[m[2]];
}

export async function assessRetraining(deps: AssessDeps, req: AssessRequest): Promise<RetrainAssessment> {
  const champion = await deps.registry.getAlias(req.model, 'champion');
  if (!champion) return { retrain: true, reasons: [`model "${req.model}" has no champion yet`], championVersion: null };

  const fired: string[] = [];
  const checked: string[] = [];
  const now = (deps.now ?? (() => new Date()))();
  if (req.policy.maxModelAge) {
    const ageMs = now.getTime() - Date.parse(champion.createdAt);
    const line = `champion v${champion.version} is ${(ageMs / 3_600_000).toFixed(1)} h old (limit ${req.policy.maxModelAge})`;
    (ageMs > durationMs(req.policy.maxModelAge) ? fired : checked).push(line);
  }

  const resolved = await resolvePipelineInput({ pipelinesDir: deps.pipelinesDir }, { pipeline: req.pipeline, overrides: req.overrides, model: req.model });
  const ingest = resolved.spec.steps.find((s) => s.kind === 'ingest')?.with as IngestParams | undefined;
  const trainedUntil = (champion.lineage.dataWindow as { to?: string } | undefined)?.to;
  if (ingest && trainedUntil) {
    const newRows = await countRowsAfter(deps, ingest, trainedUntil);
    const min = req.policy.minNewRows ?? 1000;
    (newRows >= min ? fired : checked).push(`${newRows} rows arrived after the champion's data window (ends ${trainedUntil}; trigger at ${min})`);
  } else {
    checked.push('new data: the champion records no data window to compare with');
  }
  const probe = fired.length === 0 && req.policy.onDrift ? driftProbe(resolved.spec) : undefined;
  return { retrain: fired.length > 0, reasons: fired.length > 0 ? fired : checked, championVersion: champion.version, ...(probe && { probe }) };
}

/** The pipeline cut down to ingest and validate: what validation says about the newest data, without training. */
function driftProbe(spec: PipelineSpec): RetrainAssessment['probe'] {
  const ingest = spec.steps.find((s) => s.kind === 'ingest');
  const validate = spec.steps.find((s) => s.kind === 'validate' && ingest && s.dependsOn.includes(ingest.id));
  if (!ingest || !validate) return undefined;
  return {
    spec: { ...spec, name: `${spec.name}-drift-probe`, steps: [ingest, { ...validate, dependsOn: [ingest.id] }] },
    validateStep: validate.id,
  };
}

/** Rows in the pipeline's current window that are newer than `after`. */
async function countRowsAfter(deps: AssessDeps, ingest: IngestParams, after: string): Promise<number> {
  const file = resolveSourcePath(ingest.source.path);
  const format = detectFormat(file, ingest.source.format);
  const time = `CAST(${sqlIdent(ingest.timeColumn)} AS TIMESTAMP)`;
  const where = [`${time} >= TIMESTAMP ${sqlString(after)}`];
  if (ingest.window.to) where.push(`${time} < TIMESTAMP ${sqlString(ingest.window.to)}`);
  return withDuckDb({ threads: deps.duckdbThreads }, async (conn) => {
    const [row] = await queryRows(conn, `SELECT count(*) AS n FROM ${readerSql(file, format, sqlString)} WHERE ${where.join(' AND ')}`);
    return Number(row.n);
  });
}
