/** Human-readable summary of a finished pipeline run. */
import type { StepKindName } from '../pipeline/step-kinds';
import { summariesOf } from '../pipeline/step-outputs';
import type { PipelineResult } from '../workflows/pipeline-status';

export function formatSummary(result: PipelineResult, url: string): string {
  const out: string[] = [];
  // The first step of a kind (a pipeline has one ingest, evaluate, register, ...); promote: the last, whose verdict is the run's.
  const first = <K extends StepKindName>(kind: K) => summariesOf(result.steps, kind)[0];
  const ingest = first('ingest');
  const evaluation = first('evaluate');
  const registered = first('register');
  out.push(`Pipeline ${result.pipeline} (model ${result.model}) — outcome: ${result.outcome.toUpperCase()}`);
  out.push(`  workflow id  ${result.workflowId}`);
  out.push(`  run id       ${result.runId}`);
  out.push(`  spec digest  ${result.specDigest}`);
  out.push(`  data digest  ${ingest?.dataDigest ?? '-'}  (train ${ingest?.trainRows ?? '-'} rows, holdout ${ingest?.holdoutRows ?? '-'} rows)`);
  out.push('  steps:');
  for (const step of result.steps) {
    const ms = step.durationMs === undefined ? '-' : `${(step.durationMs / 1000).toFixed(2)} s`;
    const err = step.error ? `  ${step.error.type ?? ''} ${step.error.message.split('\n')[0]}` : '';
    out.push(`    ${step.id.padEnd(12)} ${step.state.padEnd(10)} ${ms.padStart(9)}  attempts ${step.attempts}${err}`);
  }
  const validation = first('validate');
  if (validation) {
    const drifted = validation.drift.columns.length ? `, drift in ${validation.drift.columns.join(', ')}` : '';
    out.push(`  validation   ${validation.checks} checks, ${validation.warnings ?? 0} warnings${drifted}  ${validation.reportPath ?? validation.report ?? ''}`);
  }
  const candidates = evaluation?.candidates ?? [];
  const primary = evaluation?.primaryMetric ?? 'auc';
  if (candidates.length > 1) {
    const list = candidates.map((c) => {
      const value = c[primary];
      return `${c.step} ${primary} ${typeof value === 'number' ? value.toFixed(4) : '-'}${c.step === evaluation?.chosen.step ? ' (chosen)' : ''}`;
    });
    out.push(`  candidates   ${list.join(', ')}`);
  }
  const metrics = evaluation?.metrics ?? {};
  const fmt = (k: string) => (typeof metrics[k] === 'number' ? metrics[k].toFixed(4) : '-');
  out.push(`  metrics      auc ${fmt('auc')}  logLoss ${fmt('logLoss')}  accuracy ${fmt('accuracy')}  f1 ${fmt('f1')}`);
  const champion = evaluation?.champion;
  if (champion) out.push(`  compared to  champion v${champion.version} (auc ${champion.metrics.auc?.toFixed(4) ?? '-'})`);
  out.push(`  version      ${registered ? `v${registered.version}` : '-'}`);
  if (evaluation?.page) out.push(`  evaluation   ${evaluation.page}`);
  const canary = first('canary');
  if (canary) {
    const steps = (canary.steps ?? []).map((st) => `${st.weight}% ${st.verdict ?? '-'}${st.decision ? ` (${st.decision})` : ''}`);
    const detail = steps.length ? steps.join(' → ') : canary.reasons.join('; ');
    out.push(`  canary       ${String(canary.canaryVerdict)}: ${detail}${canary.workflowId ? `  [${canary.workflowId}]` : ''}`);
    if (canary.report) out.push(`  canary report ${canary.report}`);
  }
  const reasons = summariesOf(result.steps, 'promote').at(-1)?.reasons ?? [];
  const became = result.outcome === 'promoted' ? 'yes — now champion' : `no${reasons.length ? ` — ${reasons.join('; ')}` : ''}`;
  out.push(`  champion?    ${became}`);
  out.push(`  Temporal UI  ${url}`);
  return out.join('\n');
}
