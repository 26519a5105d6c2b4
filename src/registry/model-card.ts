/**
 * A model card per version, in Markdown: what the model is for, the data it saw, its metrics
 * (overall and per slice), the gates it passed, its lineage and its known limits.
 *
 * Rendering is pure: the caller passes the version, its lineage and, when it can read them,
 * the evaluation and validation reports. Reports are read loosely (any field may be absent),
 * because their formats belong to the evaluate and validate steps and grow over time.
 */
import type { ModelRegistry, ModelVersion } from './model-registry';
import { buildLineage, type VersionLineage } from './lineage';

export interface ModelCardInput {
  version: ModelVersion;
  lineage: VersionLineage;
  /** Parsed evaluation report JSON (`lineage['evaluation-report']`), if available. */
  evaluationReport?: unknown;
  /** Parsed validation report JSON (`lineage['validation-report']`), if available. */
  validationReport?: unknown;
  /** From the pipeline spec: its description and any limits its authors wrote down. */
  spec?: { name?: string; description?: string; knownLimits?: readonly string[] };
}

/** Options of {@link loadModelCard}. */
export interface LoadModelCardOptions {
  /** Reads a report by its `artifact://` URI (e.g. through the artifact store); failures are noted in the card. */
  readReport?: (uri: string) => Promise<unknown>;
  spec?: ModelCardInput['spec'];
}

/** The card of `model` version `version`, or undefined when the version does not exist. */
export async function loadModelCard(registry: ModelRegistry, model: string, version: number, options: LoadModelCardOptions = {}): Promise<string | undefined> {
  const v = await registry.getVersion(model, version);
  if (!v) return undefined;
  const lineage = buildLineage(v, await registry.aliasHistory(model));
  const unreadable: string[] = [];
  const read = async (uri: string | null): Promise<unknown> => {
    if (!uri || !options.readReport) return undefined;
    try {
      return await options.readReport(uri);
    } catch (err) {
      unreadable.push(`The report ${uri} could not be read (${(err as Error).message.split('\n')[0]}); sections from it are missing.`);
      return undefined;
    }
  };
  const evaluationReport = await read(lineage.evaluation.report);
  const validationReport = await read(lineage.validation.report);
  const spec = { ...options.spec, knownLimits: [...(options.spec?.knownLimits ?? []), ...unreadable] };
  return renderModelCard({ version: v, lineage, evaluationReport, validationReport, spec });
}

export function renderModelCard(input: ModelCardInput): string {
  const { version: v, lineage: l } = input;
  const evaluation = asRecord(input.evaluationReport);
  const out: string[] = [`# Model card: ${v.model} v${v.version}`, ''];
  out.push(v.description ?? input.spec?.description ?? '_No description was registered._', '');
  out.push(
    table(
      ['Version', `v${v.version}`],
      [
        ['Registered', v.createdAt],
        ['Aliases now', l.aliases.join(', ') || 'none'],
        ['Pipeline', `${l.training.pipeline} (spec ${l.training.specDigest.slice(0, 12)})`],
        ['Trainer', `${l.training.trainer}${l.training.trainerVersion ? ` ${l.training.trainerVersion}` : ''}`],
        ['Artifact', `\`${v.artifact.uri}\``],
        ...Object.entries(v.tags).map(([k, value]) => [`Tag \`${k}\``, value]),
      ],
    ),
    '',
  );

  const window = asRecord(l.data.window);
  out.push('## Data', '');
  out.push(`- Window: ${window ? `${String(window.from ?? 'start')} to ${String(window.to ?? 'end')} (end exclusive)` : 'not recorded'}`);
  out.push(`- Snapshot digest: \`${l.data.digest}\``);
  if (l.data.label) out.push(`- Label: \`${l.data.label}\``);
  out.push(`- Features: ${describeFeatures(l.data.features)}`);
  const validation = asRecord(input.validationReport);
  const counts = asRecord(validation?.counts);
  if (counts) out.push(`- Validation: ${num(counts.checks)} checks, ${num(counts.failed)} failed, ${num(counts.warnings)} warnings`);
  out.push('');

  out.push('## Metrics', '');
  const metrics = Object.entries(v.metrics).sort(([a], [b]) => a.localeCompare(b));
  const champion = asRecord(asRecord(evaluation?.champion)?.metrics);
  out.push(
    metrics.length === 0
      ? '_No metrics were recorded._'
      : table(
          champion ? ['metric', 'value', 'champion at evaluation'] : ['metric', 'value'],
          metrics.map(([name, value]) => [name, fmt(value), ...(champion ? [fmt(champion[name])] : [])]),
        ),
    '',
  );

  const slices = sliceRows(evaluation?.slices);
  if (slices.length > 0) {
    out.push('### Slices', '', table(['slice', 'rows', ...slices.metrics], slices.rows), '');
  }

  out.push('## Gates', '');
  const gates = Array.isArray(evaluation?.gates) ? evaluation.gates.map(asRecord).filter((g) => g !== undefined) : [];
  if (gates.length > 0) {
    out.push(
      table(
        ['gate', 'observed', 'bounds', 'result'],
        gates.map((g) => [
          `${String(g.formula ?? g.metric)}${asRecord(g.slice) ? ` [${String(asRecord(g.slice)!.column)}=${String(asRecord(g.slice)!.value ?? '*')}]` : ''}`,
          fmt(g.observed),
          [g.min !== undefined ? `≥ ${fmt(g.min)}` : '', g.max !== undefined ? `≤ ${fmt(g.max)}` : ''].filter(Boolean).join(', '),
          g.passed === true ? 'passed' : `failed${g.reason ? `: ${String(g.reason)}` : ''}`,
        ]),
      ),
      '',
    );
  } else {
    out.push(l.evaluation.blessed === null ? '_No gate results were available._' : `_Gate details unavailable; the evaluation ${l.evaluation.blessed ? 'blessed' : 'did not bless'} this version._`, '');
  }

  out.push('## Lineage', '');
  out.push(`1. Data snapshot \`${l.data.digest.slice(0, 16)}\``);
  out.push(`2. Validation report ${l.validation.report ? `\`${l.validation.report}\`` : 'not recorded'}`);
  out.push(`3. Training run \`${l.training.workflowId}\` / \`${l.training.runId}\`, code ${l.training.codeVersion ? `\`${l.training.codeVersion.slice(0, 12)}\`` : 'unknown'}`);
  out.push(`4. Evaluation report ${l.evaluation.report ? `\`${l.evaluation.report}\`` : 'not recorded'}`);
  out.push(
    `5. Deployments: ${l.deployments.length === 0 ? 'none' : l.deployments.map((d) => `${d.alias} ${d.from} → ${d.until ?? 'now'} (${d.actor})`).join('; ')}`,
    '',
  );
  if (Object.keys(v.params).length > 0) out.push('### Training parameters', '', table(['param', 'value'], Object.entries(v.params).map(([k, p]) => [k, JSON.stringify(p)])), '');

  out.push('## Known limits', '');
  for (const limit of knownLimits(input, window, gates)) out.push(`- ${limit}`);
  return `${out.join('\n').trimEnd()}\n`;
}

function knownLimits(input: ModelCardInput, window: Record<string, unknown> | undefined, gates: Record<string, unknown>[]): string[] {
  const limits = [...(input.spec?.knownLimits ?? [])];
  const fromLineage = input.version.lineage.knownLimits;
  if (Array.isArray(fromLineage)) limits.push(...fromLineage.map(String));
  if (input.version.tags.limits) limits.push(input.version.tags.limits);
  limits.push(
    window
      ? `Trained and evaluated only on data from ${String(window.from ?? 'the start')} to ${String(window.to ?? 'the end')}; behaviour outside that window is untested.`
      : 'The data window was not recorded; the period the model is valid for is unknown.',
  );
  for (const g of gates.filter((gate) => gate.passed !== true)) limits.push(`Failed gate ${String(g.formula ?? g.metric)}${g.reason ? `: ${String(g.reason)}` : ''}.`);
  const notes = asRecord(input.validationReport)?.notes;
  if (Array.isArray(notes)) limits.push(...notes.map((n) => `Validation: ${String(n)}`));
  return limits;
}

function describeFeatures(features: unknown): string {
  if (Array.isArray(features)) return features.map((f) => `\`${String(f)}\``).join(', ') || 'none';
  const record = asRecord(features);
  if (record) {
    return Object.entries(record)
      .map(([kind, names]) => `${kind}: ${Array.isArray(names) ? names.map((n) => `\`${String(n)}\``).join(', ') : JSON.stringify(names)}`)
      .join('; ');
  }
  return 'not recorded';
}

const SLICE_METRICS = ['auc', 'logLoss', 'accuracy', 'f1'];

/** Slice metrics from `[{ column, value, rows, metrics }]`, or `{ column: [{ value, rows, metrics }] }`. */
function sliceRows(slices: unknown): { metrics: string[]; rows: string[][]; length: number } {
  const flat: Record<string, unknown>[] = Array.isArray(slices)
    ? slices.map(asRecord).filter((s) => s !== undefined)
    : Object.entries(asRecord(slices) ?? {}).flatMap(([column, list]) =>
        Array.isArray(list) ? list.map((s) => ({ column, ...asRecord(s) })) : [],
      );
  const metricsOf = (s: Record<string, unknown>) => asRecord(s.metrics) ?? asRecord(asRecord(s.candidate)?.metrics) ?? {};
  const all = [...new Set(flat.flatMap((s) => Object.keys(metricsOf(s))))];
  // A few headline columns keep the table readable; the report has the rest.
  const headline = SLICE_METRICS.filter((m) => all.includes(m));
  const metrics = headline.length > 0 ? headline : all.slice(0, SLICE_METRICS.length);
  const rows = flat.map((s) => [`${String(s.column ?? '?')}=${String(s.value ?? '?')}`, fmt(s.rows), ...metrics.map((m) => fmt(metricsOf(s)[m]))]);
  return { metrics, rows, length: rows.length };
}

function table(header: string[], rows: string[][]): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [`| ${header.map(cell).join(' | ')} |`, `|${header.map(() => ' --- ').join('|')}|`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)].join('\n');
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

const num = (value: unknown): string => (typeof value === 'number' ? String(value) : '?');

function fmt(value: unknown): string {
  if (typeof value !== 'number' || !Number.isFinite(value)) return value === null || value === undefined ? '—' : String(value);
  return Number.isInteger(value) ? String(value) : value.toPrecision(4);
}
