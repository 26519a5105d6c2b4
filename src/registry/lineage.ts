/**
 * A version's lineage, assembled from what the registry holds: data snapshot → validation
 * report → training run → evaluation report → deployments (the alias moves onto and off it).
 * Works on any {@link ModelRegistry}; what `register` recorded in `lineage` is read here by the
 * names it uses (`validation-report`, `evaluation-report`, `dataWindow`, `blessed`).
 */
import type { AliasMove, ModelRegistry, ModelVersion } from './model-registry';

/** One period during which an alias pointed at the version. */
export interface Deployment {
  alias: string;
  /** When the alias was moved onto the version (ISO 8601). */
  from: string;
  /** When it was moved away; null while it still points here. */
  until: string | null;
  actor: string;
  reason: string;
  evidence: Record<string, unknown>;
}

export interface VersionLineage {
  model: string;
  version: number;
  createdAt: string;
  data: {
    /** sha256 over the train and holdout snapshots. */
    digest: string;
    /** `{ from, to }` of the ingest window, when recorded. */
    window: unknown;
    /** Feature and label names, from the model artifact's metadata when present. */
    features: unknown;
    label: string | null;
  };
  validation: {
    report: string | null;
    /** Set when the data was quarantined and an approver released it: by whom, when, why. */
    release?: { dataDigest: string; by: string; at: string; reason: string } | null;
  };
  training: {
    pipeline: string;
    workflowId: string;
    runId: string;
    specDigest: string;
    trainer: string;
    trainerVersion: string | null;
    codeVersion: string | null;
    params: Record<string, unknown>;
    artifact: string;
  };
  evaluation: { report: string | null; metrics: Record<string, number>; blessed: boolean | null };
  /** Set when the model was trained elsewhere and imported (`slipway models import` or an `import` step): by whom, from what, its digest. */
  imported: { by: string; digest: string; source: string; at?: string; step?: string } | null;
  deployments: Deployment[];
  /** Aliases pointing at the version now. */
  aliases: string[];
}

/** The lineage of `model` version `version`, or undefined when the version does not exist. */
export async function versionLineage(registry: ModelRegistry, model: string, version: number): Promise<VersionLineage | undefined> {
  const found = await registry.getVersion(model, version);
  if (!found) return undefined;
  return buildLineage(found, await registry.aliasHistory(model));
}

/** Lineage from a version and its model's alias history (oldest first); pure. */
export function buildLineage(v: ModelVersion, history: readonly AliasMove[]): VersionLineage {
  const l = v.lineage;
  const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);
  const meta = v.artifact.meta ?? {};
  const deployments = deploymentsOf(v.version, history);
  return {
    model: v.model,
    version: v.version,
    createdAt: v.createdAt,
    data: { digest: l.dataDigest, window: l.dataWindow ?? null, features: meta.features ?? l.features ?? null, label: text(meta.label) },
    validation: { report: text(l['validation-report']), release: (l.dataRelease as VersionLineage['validation']['release']) ?? null },
    training: {
      pipeline: l.pipeline,
      workflowId: l.workflowId,
      runId: l.runId,
      specDigest: l.specDigest,
      trainer: l.trainer,
      trainerVersion: text(l.trainerVersion),
      codeVersion: text(l.codeVersion),
      params: v.params,
      artifact: v.artifact.uri,
    },
    evaluation: { report: text(l['evaluation-report']), metrics: v.metrics, blessed: typeof l.blessed === 'boolean' ? l.blessed : null },
    imported: importedOf(l.imported),
    deployments,
    aliases: deployments.filter((d) => d.until === null).map((d) => d.alias),
  };
}

function importedOf(value: unknown): VersionLineage['imported'] {
  if (typeof value !== 'object' || value === null) return null;
  const r = value as Record<string, unknown>;
  if (typeof r.by !== 'string' || typeof r.digest !== 'string') return null;
  const opt = (k: string) => (typeof r[k] === 'string' ? { [k]: r[k] as string } : {});
  return { by: r.by, digest: r.digest, source: String(r.source ?? ''), ...opt('at'), ...opt('step') };
}

function deploymentsOf(version: number, history: readonly AliasMove[]): Deployment[] {
  const open = new Map<string, Deployment>();
  const all: Deployment[] = [];
  for (const move of history) {
    const current = open.get(move.alias);
    if (current && move.toVersion !== version) {
      current.until = move.at;
      open.delete(move.alias);
    }
    if (move.toVersion === version && !current) {
      const d: Deployment = { alias: move.alias, from: move.at, until: null, actor: move.actor, reason: move.reason, evidence: move.evidence };
      open.set(move.alias, d);
      all.push(d);
    }
  }
  return all;
}

/** The lineage as indented text, for `slipway models lineage`. */
export function formatLineage(l: VersionLineage): string {
  const short = (digest: string | null): string => (digest ? digest.replace(/^artifact:\/\/sha256\//, '').slice(0, 12) : 'none');
  const window = l.data.window as { from?: string; to?: string } | null;
  const lines = [
    `${l.model} v${l.version}  (registered ${l.createdAt}${l.aliases.length ? `; now ${l.aliases.join(', ')}` : ''})`,
    `  data        digest ${short(l.data.digest)}${window ? `  window ${window.from ?? '…'} → ${window.to ?? '…'}` : ''}`,
    `  validation  report ${short(l.validation.report)}${l.validation.release ? `  released from quarantine by ${l.validation.release.by} at ${l.validation.release.at}: ${l.validation.release.reason}` : ''}`,
    `  training    ${l.training.trainer}${l.training.trainerVersion ? ` ${l.training.trainerVersion}` : ''}  run ${l.training.workflowId} / ${l.training.runId}`,
    `              pipeline ${l.training.pipeline}  spec ${short(l.training.specDigest)}  code ${l.training.codeVersion?.slice(0, 12) ?? 'unknown'}`,
    `  evaluation  report ${short(l.evaluation.report)}  blessed ${l.evaluation.blessed ?? 'unknown'}`,
  ];
  if (l.imported) lines.splice(4, 0, `  imported    by ${l.imported.by} from ${l.imported.source}  sha256 ${short(l.imported.digest)}${l.imported.at ? `  at ${l.imported.at}` : ''}`);
  if (l.deployments.length === 0) lines.push('  deployments none');
  for (const [i, d] of l.deployments.entries()) {
    lines.push(`  ${i === 0 ? 'deployments' : '           '} ${d.alias} ${d.from} → ${d.until ?? 'now'}  by ${d.actor}: ${d.reason}`);
  }
  return lines.join('\n');
}
