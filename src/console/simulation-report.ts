/**
 * The simulation's report: one row per simulated week with the AUC of the champion that
 * served that week next to the model frozen after the first week, plus what the
 * continuous-training check decided at the week's end. Written as JSON, Markdown, an SVG
 * chart and one self-contained HTML page by the simulation (tools/simulation); the console's
 * Continuous training page reads the JSON and draws the same summary and chart, which is why
 * the format lives here, in the shipped code, and not with the tool.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { escapeHtml } from '../validation/svg-chart';
import type { LiveQualityCheck } from '../workflows/continuous-training-status';
import { aucChart, type ChartSeries } from '../charts/auc-chart';

/** A model's figures on one week. */
export interface WeekScore {
  auc: number;
  logLoss: number;
  accuracy: number;
  rows: number;
  /** Share of the week's flights delayed by more than 15 minutes. */
  positiveRate: number;
}

/** What one week's live traffic showed. */
export interface WeekLive {
  sent: number;
  /** Answers with status 200, and which versions gave them. */
  answered: number;
  /** HTTP status (or `error`) → count, as the replay saw them. */
  statuses: Record<string, number>;
  servedBy: Record<string, number>;
  labelled: number;
  seconds: number;
  /** The champion's live figures over this week's traffic, from the server. */
  labels: number;
  auc: number | null;
  accuracy: number | null;
  /** Wall-clock start of the week's traffic (epoch ms): the check's window starts here. */
  startedAtMs: number;
}

/** What the continuous-training check at the end of a week decided. */
export interface WeekCheck {
  /** The replay clock of the check (the end of the week). */
  now: string;
  workflowId: string;
  retrain: boolean;
  reasons: string[];
  /** `promoted`, `rejected` or `failed` when a retrain ran. */
  outcome?: string;
  /** The retrain's candidate AUC on its own holdout, and the champion's on the same rows. */
  candidateAuc?: number;
  championAuc?: number;
  /** The paired champion/challenger test of the retrain: AUC improvement, its interval and p-value. */
  comparison?: { test: string; margin: number; alpha: number; improvement: number; lower: number; upper: number; pValue: number; passed: boolean; method?: string };
  /** Why the evaluation did not bless the candidate (failed gates), when it did not. */
  gateReasons?: string[];
  /** The retrain's canary, when its pipeline has one: verdict and per-step verdicts, e.g. `passed (25% pass → 100% pass)`. */
  canary?: string;
  /** The live-quality figures the check judged (live mode). */
  liveQuality?: LiveQualityCheck;
  /** Champion after the check. */
  championAfter: number | null;
  seconds: number;
}

/** One simulated week. */
export interface SimulationWeek {
  week: number;
  from: string;
  to: string;
  champion: WeekScore & { version: number };
  frozen: WeekScore & { version: number };
  /**
   * The model trained with hindsight on the new regime (concept drift), on the weeks from the
   * change on; `model` names it when each week has its own (leave-week-out).
   */
  hindsight?: WeekScore & { version: number; model?: string };
  /** The week's sampled live traffic through the model server (live mode). */
  live?: WeekLive;
  /** Absent after the last week (its model would never serve). */
  check?: WeekCheck;
}

export interface SimulationReport {
  model: string;
  pipeline: string;
  /** Per-step overrides every retrain ran with (e.g. the simulation's gates). */
  overrides: Record<string, Record<string, unknown>>;
  /** Replay clock of the first training. */
  start: string;
  /** Training window of every retrain (the replay window). */
  trainWindow: string;
  /** Training window of the retrains after the first, when it differs from `trainWindow`. */
  retrainWindow?: string;
  /** Retrains with a champion trained on the rows after the champion's data window only (policy.incremental). */
  incremental?: boolean;
  /** The first check, which trains the frozen model. */
  first: WeekCheck;
  /** What the world did to the data (scenarios.ts); absent in reports written before scenarios. */
  scenario?: { name: string; description: string; alteredRows: number; from?: string };
  /** The hindsight model's training (concept drift). */
  hindsight?: WeekCheck;
  /** Leave-week-out: the training of each week's hindsight model, which never saw that week. */
  hindsightLeaveWeekOut?: WeekCheck[];
  weeks: SimulationWeek[];
  /** Wall-clock seconds of the whole simulation. */
  seconds: number;
  generatedAt: string;
}

export interface ReportFiles {
  dir: string;
  json: string;
  markdown: string;
  html: string;
  svg: string;
}

const f4 = (x: number) => (Number.isFinite(x) ? x.toFixed(4) : 'n/a');
const signed = (x: number) => (Number.isFinite(x) ? `${x >= 0 ? '+' : ''}${x.toFixed(4)}` : 'n/a');

function decisionText(c: WeekCheck | undefined): string {
  if (!c) return '— (last week)';
  if (!c.retrain) return `no retrain: ${c.liveQuality?.line ?? c.reasons[0] ?? ''}`;
  const figures = c.candidateAuc !== undefined ? ` (candidate ${f4(c.candidateAuc)} vs champion ${c.championAuc !== undefined ? f4(c.championAuc) : 'none'} on its holdout)` : '';
  const cmp = c.comparison;
  const paired = cmp ? `; paired ${cmp.test}${cmp.method === 'DeLong within days' ? ' within days' : ''}: improvement ${signed(cmp.improvement)} in [${signed(cmp.lower)}, ${signed(cmp.upper)}], p ${cmp.pValue < 0.001 ? cmp.pValue.toExponential(1) : cmp.pValue.toFixed(3)}` : '';
  const gates = c.outcome === 'rejected' && c.gateReasons?.length ? ` — ${c.gateReasons.join('; ')}` : '';
  const trigger = c.liveQuality?.fired ? ` — ${c.liveQuality.line}` : '';
  const canary = c.canary ? `; canary ${c.canary}` : '';
  return `retrain → ${c.outcome ?? '?'}${figures}${paired}${canary}, champion v${c.championAfter ?? '?'}${gates}${trigger}`;
}

export function summaryLines(r: SimulationReport): string[] {
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const champion = mean(r.weeks.map((w) => w.champion.auc));
  const frozen = mean(r.weeks.map((w) => w.frozen.auc));
  const promoted = [r.first, ...r.weeks.map((w) => w.check)].filter((c) => c?.outcome === 'promoted').length;
  const retrains = [r.first, ...r.weeks.map((w) => w.check)].filter((c) => c?.retrain).length;
  const diffs = r.weeks.map((w) => w.champion.auc - w.frozen.auc);
  const worst = Math.min(...diffs);
  const behind = diffs.filter((d) => d < 0).length;
  const rolledBack = [r.first, ...r.weeks.map((w) => w.check)].filter((c) => c?.canary?.startsWith('rolled-back')).length;
  const canaried = [r.first, ...r.weeks.map((w) => w.check)].filter((c) => c?.canary && !c.canary.startsWith('skipped')).length;
  return [
    ...(r.scenario ? [`Scenario ${r.scenario.description} (${r.scenario.alteredRows} rows altered).`] : []),
    `${r.weeks.length} weeks from ${r.weeks[0]?.from ?? r.start} to ${r.weeks.at(-1)?.to ?? r.start}; ${trainingLine(r)}.`,
    `${retrains} retrain cycles (${promoted} promoted${canaried ? `; ${canaried} canaries, ${rolledBack} rolled back` : ''}) in ${r.seconds.toFixed(0)} s.`,
    `Mean AUC over the weeks: champion ${f4(champion)}, frozen after the first training ${f4(frozen)} (difference ${signed(champion - frozen)}).`,
    `Champion behind the frozen model in ${behind} of ${r.weeks.length} weeks; worst week ${signed(worst)} (calm target: never below -0.005, ${worst >= -0.005 ? 'met' : 'missed'}; mean at least as good: ${champion >= frozen ? 'met' : 'missed'}).`,
    ...scenarioLines(r),
  ];
}

/** What each model was trained on: the first training's window, and the retrains' when they differ. */
function trainingLine(r: SimulationReport): string {
  const retrain = r.retrainWindow ?? r.trainWindow;
  if (retrain === r.trainWindow && !r.incremental) return `every model trained on the ${r.trainWindow} before its replay clock`;
  const since = r.incremental ? ` and at most the rows after its champion's data window (incremental)` : '';
  return `the first model trained on the ${r.trainWindow} before its replay clock, every retrain on the ${retrain} before its clock${since}`;
}

/** What the scenario's targets ask: recovery after a drift, no degradation after a tainted week. */
function scenarioLines(r: SimulationReport): string[] {
  const s = r.scenario;
  if (!s?.from) return [];
  if (s.name === 'concept-drift') {
    const after = r.weeks.filter((w) => w.hindsight);
    if (after.length === 0) return ['No week after the change was scored.'];
    const gap = (w: SimulationWeek, x: WeekScore) => x.auc - w.hindsight!.auc;
    // Judged on the gap as printed (4 places), so a week shown as -0.0100 counts as within.
    const within = (w: SimulationWeek, x: WeekScore) => Math.round(gap(w, x) * 1e4) / 1e4 >= -0.01;
    const recovered = after.findIndex((w) => within(w, w.champion));
    const frozenWithin = after.filter((w) => within(w, w.frozen)).length;
    // A champion that falls behind again after recovering has not recovered: name every week it was behind again.
    const behindAgain = recovered < 0 ? [] : after.map((w, i) => ({ w, i })).filter(({ w, i }) => i > recovered && !within(w, w.champion));
    const champion =
      recovered < 0
        ? 'in no week after the change'
        : `from week ${recovered + 1} after the change${behindAgain.length === 0 ? ' on' : `, behind again in week ${behindAgain.map(({ w, i }) => `${i + 1} (${signed(gap(w, w.champion))})`).join(', ')}`}`;
    const met = recovered >= 0 && recovered <= 1 && behindAgain.length === 0;
    return [
      `After the change (${s.from}): champion − hindsight ${after.map((w) => signed(gap(w, w.champion))).join(', ')}; frozen − hindsight ${after.map((w) => signed(gap(w, w.frozen))).join(', ')}.`,
      `Champion within 0.01 of the hindsight model ${champion}; target (within two weeks and from then on) ${met ? 'met' : 'missed'}; frozen model within 0.01 in ${frozenWithin} of ${after.length} weeks.`,
    ];
  }
  if (s.name === 'tainted-week') {
    const taintEnd = new Date(Date.parse(`${s.from}T00:00:00Z`) + 7 * 86_400_000).toISOString().slice(0, 10);
    const exposed = r.weeks.map((w) => w.check).filter((c): c is WeekCheck => c !== undefined && c.now >= taintEnd);
    const promoted = exposed.filter((c) => c.outcome === 'promoted');
    const after = r.weeks.filter((w) => w.from >= taintEnd);
    const worst = Math.min(...after.map((w) => w.champion.auc - w.frozen.auc));
    return [
      `Checks from the end of the tainted week (${s.from} – ${taintEnd}) on, each training on the ${r.trainWindow} before its clock: ${exposed.map((c) => `${c.now} ${c.retrain ? (c.outcome ?? '?') : 'no retrain'}`).join(', ') || 'none'}; ${promoted.length} promoted a model trained on it.`,
      `After the tainted week the champion's worst week against the frozen model is ${after.length ? signed(worst) : 'n/a'}.`,
    ];
  }
  return [];
}

const hasLive = (r: SimulationReport) => r.weeks.some((w) => w.live);
const hasHindsight = (r: SimulationReport) => r.weeks.some((w) => w.hindsight);
const liveText = (w: SimulationWeek) => (w.live ? `${w.live.auc !== null ? f4(w.live.auc) : 'n/a'} (${w.live.labels})` : '');

export function renderMarkdown(r: SimulationReport): string {
  const live = hasLive(r);
  const hs = hasHindsight(r);
  const rows = r.weeks.map(
    (w) =>
      `| ${w.week} | ${w.from} – ${w.to} | ${w.champion.rows} | ${(w.champion.positiveRate * 100).toFixed(1)}% | v${w.champion.version} | ${f4(w.champion.auc)} | v${w.frozen.version} | ${f4(w.frozen.auc)} | ${signed(w.champion.auc - w.frozen.auc)} |${hs ? ` ${w.hindsight ? f4(w.hindsight.auc) : ''} |` : ''}${live ? ` ${liveText(w)} |` : ''} ${decisionText(w.check).replace(/\|/g, '\\|')} |`,
  );
  return [
    `# Simulation: ${r.model} week by week`,
    '',
    ...summaryLines(r).map((l) => `- ${l}`),
    `- First check (replay clock ${r.first.now}): ${decisionText(r.first)}.`,
    ...(r.hindsight ? [`- Hindsight model (trained on the new regime up to ${r.hindsight.now}, rows it is scored on included): ${decisionText(r.hindsight)}.`] : []),
    ...(r.hindsightLeaveWeekOut?.length
      ? [`- Hindsight models, leave-week-out (each trained on the new regime up to ${r.hindsightLeaveWeekOut[0].now} without the week it is scored on): ${r.hindsightLeaveWeekOut.map((c) => decisionText(c)).join('; ')}.`]
      : []),
    '',
    'AUC on every flight of the week, scored by the champion that served the week (trained before it) and by the model frozen after the first training.',
    ...(live ? ['Live AUC: the champion on an even sample of the week\'s flights sent through the model server, judged on the labels posted as feedback; in live mode only it triggers retrains.'] : []),
    '',
    `| week | flights of | rows | delayed | champion | champion AUC | frozen | frozen AUC | champion − frozen |${hs ? ' hindsight AUC |' : ''}${live ? ' live AUC (labels) |' : ''} check at the week's end |`,
    `|---:|---|---:|---:|---|---:|---|---:|---:|${hs ? '---:|' : ''}${live ? '---:|' : ''}---|`,
    ...rows,
    '',
    '![AUC per week](auc-by-week.svg)',
    '',
    `Generated ${r.generatedAt} by \`npm run simulate\` (pipeline \`${r.pipeline}\`, overrides \`${JSON.stringify(r.overrides)}\`).`,
    '',
  ].join('\n');
}

export function renderSvg(r: SimulationReport): Promise<string> {
  const series: ChartSeries[] = [
    { name: 'champion (retrained)', color: '#1f77b4', values: r.weeks.map((w) => w.champion.auc) },
    { name: `frozen v${r.weeks[0]?.frozen.version ?? '?'}`, color: '#d62728', values: r.weeks.map((w) => w.frozen.auc), dashed: true },
  ];
  if (hasHindsight(r)) series.push({ name: 'hindsight (new regime)', color: '#9467bd', values: r.weeks.map((w) => w.hindsight?.auc ?? null), dashed: true });
  if (hasLive(r)) series.push({ name: 'champion, live sample', color: '#2ca02c', values: r.weeks.map((w) => w.live?.auc ?? null), dashed: true });
  return aucChart(`${r.model}: AUC per week, champion vs the model frozen after the first training`, r.weeks.map((w) => w.from), series);
}

export function renderHtml(r: SimulationReport, svg: string): string {
  const live = hasLive(r);
  const hs = hasHindsight(r);
  const td = (s: string | number, num = false) => `<td${num ? ' class="num"' : ''}>${escapeHtml(String(s))}</td>`;
  const rows = r.weeks
    .map(
      (w) =>
        `<tr>${td(w.week, true)}${td(`${w.from} – ${w.to}`)}${td(w.champion.rows, true)}${td(`${(w.champion.positiveRate * 100).toFixed(1)}%`, true)}${td(`v${w.champion.version}`)}${td(f4(w.champion.auc), true)}${td(`v${w.frozen.version}`)}${td(f4(w.frozen.auc), true)}${td(signed(w.champion.auc - w.frozen.auc), true)}${hs ? td(w.hindsight ? f4(w.hindsight.auc) : '', true) : ''}${live ? td(liveText(w), true) : ''}${td(decisionText(w.check))}</tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(`Simulation: ${r.model}`)}</title>
<style>body{font:14px/1.4 sans-serif;margin:2em;max-width:1100px}table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:4px 8px;vertical-align:top}.num{text-align:right;font-variant-numeric:tabular-nums}th{background:#f4f4f4}</style>
</head><body>
<h1>${escapeHtml(`Simulation: ${r.model} week by week`)}</h1>
<ul>${summaryLines(r).map((l) => `<li>${escapeHtml(l)}</li>`).join('')}<li>${escapeHtml(`First check (replay clock ${r.first.now}): ${decisionText(r.first)}.`)}</li></ul>
${svg}
<p>AUC on every flight of the week, scored by the champion that served the week (trained before it) and by the model frozen after the first training.</p>
<table><thead><tr><th>week</th><th>flights of</th><th>rows</th><th>delayed</th><th>champion</th><th>champion AUC</th><th>frozen</th><th>frozen AUC</th><th>champion − frozen</th>${hs ? '<th>hindsight AUC</th>' : ''}${live ? '<th>live AUC (labels)</th>' : ''}<th>check at the week's end</th></tr></thead>
<tbody>
${rows}
</tbody></table>
<p>Generated ${escapeHtml(r.generatedAt)} by <code>npm run simulate</code> (pipeline <code>${escapeHtml(r.pipeline)}</code>, overrides <code>${escapeHtml(JSON.stringify(r.overrides))}</code>).</p>
</body></html>
`;
}

/** Writes report.json, report.md, auc-by-week.svg and report.html into `dir`. */
export async function writeReport(dir: string, r: SimulationReport): Promise<ReportFiles> {
  await mkdir(dir, { recursive: true });
  const files: ReportFiles = {
    dir,
    json: path.join(dir, 'report.json'),
    markdown: path.join(dir, 'report.md'),
    html: path.join(dir, 'report.html'),
    svg: path.join(dir, 'auc-by-week.svg'),
  };
  const svg = await renderSvg(r);
  await writeFile(files.json, `${JSON.stringify(r, null, 2)}\n`);
  await writeFile(files.markdown, renderMarkdown(r));
  await writeFile(files.svg, `${svg}\n`);
  await writeFile(files.html, renderHtml(r, svg));
  return files;
}
