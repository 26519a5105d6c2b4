/** Human-readable summary of a finished pipeline run. */
import type { PipelineResult } from '../workflows/pipeline-status';

export function formatSummary(result: PipelineResult, url: string): string {
  const out: string[] = [];
  const s = (id: string) => result.steps.find((x) => x.id === id)?.summary ?? {};
  const bySummary = (key: string) => result.steps.map((x) => x.summary ?? {}).find((x) => key in x) ?? {};
  const ingest = bySummary('dataDigest');
  const evaluation = bySummary('gates');
  const registered = bySummary('version');
  out.push(`Pipeline ${result.pipeline} (model ${result.model}) — outcome: ${result.outcome.toUpperCase()}`);
  out.push(`  workflow id  ${result.workflowId}`);
  out.push(`  run id       ${result.runId}`);
  out.push(`  spec digest  ${result.specDigest}`);
  out.push(`  data digest  ${ingest.dataDigest ?? '-'}  (train ${ingest.trainRows ?? '-'} rows, holdout ${ingest.holdoutRows ?? '-'} rows)`);
  out.push('  steps:');
  for (const step of result.steps) {
    const ms = step.durationMs === undefined ? '-' : `${(step.durationMs / 1000).toFixed(2)} s`;
    const err = step.error ? `  ${step.error.type ?? ''} ${step.error.message.split('\n')[0]}` : '';
    out.push(`    ${step.id.padEnd(12)} ${step.state.padEnd(10)} ${ms.padStart(9)}  attempts ${step.attempts}${err}`);
  }
  const validation = bySummary('warningMessages');
  if ('checks' in validation) {
    const drift = validation.drift as { columns?: string[] } | undefined;
    const drifted = drift?.columns?.length ? `, drift in ${drift.columns.join(', ')}` : '';
    out.push(`  validation   ${validation.checks} checks, ${validation.warnings ?? 0} warnings${drifted}  ${validation.reportPath ?? validation.report ?? ''}`);
  }
  const candidates = (evaluation.candidates ?? []) as Record<string, unknown>[];
  const chosen = evaluation.chosen as { step?: string } | undefined;
  const primary = String(evaluation.primaryMetric ?? 'auc');
  if (candidates.length > 1) {
    const list = candidates.map((c) => `${c.step} ${primary} ${typeof c[primary] === 'number' ? (c[primary] as number).toFixed(4) : '-'}${c.step === chosen?.step ? ' (chosen)' : ''}`);
    out.push(`  candidates   ${list.join(', ')}`);
  }
  const metrics = (evaluation.metrics ?? {}) as Record<string, number>;
  const fmt = (k: string) => (typeof metrics[k] === 'number' ? metrics[k].toFixed(4) : '-');
  out.push(`  metrics      auc ${fmt('auc')}  logLoss ${fmt('logLoss')}  accuracy ${fmt('accuracy')}  f1 ${fmt('f1')}`);
  const champion = evaluation.champion as { version: number; metrics?: Record<string, number> } | null | undefined;
  if (champion) out.push(`  compared to  champion v${champion.version} (auc ${champion.metrics?.auc?.toFixed(4) ?? '-'})`);
  out.push(`  version      ${registered.version !== undefined ? `v${registered.version}` : '-'}`);
  if (evaluation.page) out.push(`  evaluation   ${evaluation.page}`);
  const canary = bySummary('canaryVerdict');
  if ('canaryVerdict' in canary) {
    const steps = ((canary.steps ?? []) as { weight: number; verdict: string | null; decision: string | null }[]).map(
      (st) => `${st.weight}% ${st.verdict ?? '-'}${st.decision ? ` (${st.decision})` : ''}`,
    );
    const detail = steps.length ? steps.join(' → ') : ((canary.reasons as string[] | undefined) ?? []).join('; ');
    out.push(`  canary       ${String(canary.canaryVerdict)}: ${detail}${canary.workflowId ? `  [${String(canary.workflowId)}]` : ''}`);
    if (canary.report) out.push(`  canary report ${String(canary.report)}`);
  }
  const promote = s('promote');
  const became = result.outcome === 'promoted' ? 'yes — now champion' : `no${(promote.reasons as string[] | undefined)?.length ? ` — ${(promote.reasons as string[]).join('; ')}` : ''}`;
  out.push(`  champion?    ${became}`);
  out.push(`  Temporal UI  ${url}`);
  return out.join('\n');
}
