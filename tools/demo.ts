/**
 * The demo, on the running dev server, model server and worker (`make demo`):
 *   1. a champion: `flight-delay-canary` on January–May if the model has none yet (first
 *      version: no canary, promoted and deployed);
 *   2. real traffic: June 2001 flights replayed to the model server, their true labels posted
 *      as feedback a second later;
 *   3. a good candidate: `flight-delay-canary` on January–June, canaried 10 → 25 → 50 → 100 %
 *      on that traffic, analysed at each step, promoted;
 *   4. a bad candidate: `flight-delay-bad-canary` (trained on shuffled labels, blessed by its
 *      relaxed offline gates), rolled back by the canary.
 * `npm run demo -- '<json input>'` runs just that one pipeline instead.
 */
import { WorkflowFailedError, type Client } from '@temporalio/client';
import { HttpServingAdmin } from '../src/serving/http-serving-admin';
import { connectClient, runUrl } from '../src/client/connect';
import { loadConfig, type Config } from '../src/config';
import { createRegistry } from '../src/registry/create-registry';
import { loadFlightTraffic, replayTraffic, type ReplayReport } from './replay-traffic';
import { canaryWorkflowId } from '../src/workflows/canary-workflow';
import { canaryStatusQuery, statusQuery } from '../src/workflows/definitions';
import type { PipelineResult } from '../src/workflows/pipeline-status';
import { formatSummary } from '../src/cli/print-summary';

const MODEL = 'flight-delay';

async function main(): Promise<void> {
  const config = loadConfig();
  const client = await connectClient(config);
  try {
    if (process.argv[2]) {
      await runPipeline(config, client, JSON.parse(process.argv[2]) as Record<string, unknown>);
      return;
    }
    if (!config.serve.url) throw new Error('the demo needs the model server: run it with `make demo` (SLIPWAY_SERVE_URL is not set)');
    await ensureChampion(config, client);

    console.log('\n== Replaying June 2001 flights to the model server (200 requests/s, labels 1 s later)');
    const traffic = await loadFlightTraffic({ from: '2001-06-01', to: '2001-07-01' });
    const controller = new AbortController();
    if (!config.serve.labelerToken) throw new Error('the demo posts labels as a label source: run it with `make demo` (SLIPWAY_SERVE_LABELER_TOKEN is not set)');
    const replay = replayTraffic({
      baseUrl: config.serve.url,
      model: MODEL,
      traffic,
      rate: 200,
      feedbackDelayMs: 1000,
      labelerToken: config.serve.labelerToken,
      callers: 50,
      signal: controller.signal,
    });
    let report: ReplayReport | undefined;
    try {
      console.log('\n== A good candidate (January–June) canaried on that traffic');
      await runPipeline(config, client, { pipeline: 'flight-delay-canary' });
      console.log('\n== A bad candidate (trained on shuffled labels) that only the canary can stop');
      await runPipeline(config, client, { pipeline: 'flight-delay-bad-canary' });
    } finally {
      controller.abort();
      report = await replay;
    }
    const statuses = Object.entries(report.statuses).map(([s, n]) => `${s}: ${n}`).join(', ');
    console.log(`\n== Traffic: ${report.sent} predictions at ${report.achievedRate.toFixed(0)}/s (${statuses}); p99 ${report.latencyMs?.p99.toFixed(1)} ms; ${report.feedback.sent} labels posted`);
    console.log(`   answered by version: ${Object.entries(report.versions).map(([v, n]) => `v${v} ${n}`).join(', ')}`);
  } finally {
    await client.connection.close();
  }
}

/** The first run of the model has no champion to canary against: it trains on January–May and is promoted. */
async function ensureChampion(config: Readonly<Config>, client: Client): Promise<void> {
  const registry = await createRegistry(config);
  const champion = await registry.getAlias(MODEL, 'champion').finally(() => registry.close());
  if (champion) {
    // A model server started on fresh state does not serve the champion yet: point it there.
    const admin = new HttpServingAdmin(config.serve.url!, config.serve.adminToken);
    const deployed = await admin.getDeployment(MODEL);
    if (!deployed) await admin.setDeployment(MODEL, [{ version: champion.version, weight: 100 }], 'demo: serve the champion');
    console.log(`== ${MODEL} champion: v${champion.version}${deployed ? '' : ' (now deployed on the model server)'}`);
    return;
  }
  console.log(`== No ${MODEL} champion yet: training one on January–May`);
  await runPipeline(config, client, { pipeline: 'flight-delay-canary', overrides: { ingest: { window: { to: '2001-06-01' } } } });
}

async function runPipeline(config: Readonly<Config>, client: Client, input: Record<string, unknown>): Promise<void> {
  const name = String(input.pipeline ?? 'pipeline');
  const workflowId = `${name}-${new Date().toISOString().replace(/[:.]/g, '-')}`;
  const handle = await client.workflow.start('pipeline', { taskQueue: config.taskQueue, workflowId, args: [input], staticSummary: `Slipway demo: ${name}` });
  const url = runUrl(config, workflowId, handle.firstExecutionRunId);
  console.log(`Started ${workflowId}\n  ${url}`);
  const seen = new Map<string, string>();
  // Set once the run ended: a poll still in flight must not print after the summary.
  let ended = false;
  let canarySteps = 0;
  let canaryRan = false;
  const printCanary = async (final = false) => {
    const canary = await client.workflow.getHandle(canaryWorkflowId(MODEL)).query(canaryStatusQuery);
    if (canary.origin?.workflowId !== workflowId) return;
    for (const step of canary.steps.slice(canarySteps)) {
      if (!step.analysis || (ended && !final)) break;
      canarySteps++;
      const figures = step.analysis.checks.filter((c) => c.verdict !== 'pass' || c.name === 'scoreShift' || c.name === 'liveAuc').map((c) => `${c.name} ${c.verdict}`);
      console.log(`    canary ${String(step.weight).padStart(3)}%: ${step.analysis.verdict} (${step.measurement?.step.canary.requests ?? 0} canary requests; ${figures.join(', ')})`);
      for (const reason of step.analysis.reasons) console.log(`      ${reason}`);
    }
  };
  const poll = setInterval(() => {
    void (async () => {
      const status = await handle.query(statusQuery);
      if (ended) return;
      for (const step of status.steps) {
        if (seen.get(step.id) !== step.state && step.state !== 'pending') {
          seen.set(step.id, step.state);
          console.log(`  ${step.id.padEnd(10)} ${step.state}`);
        }
      }
      if (status.steps.some((s) => s.kind === 'canary' && s.state === 'running')) {
        canaryRan = true;
        await printCanary();
      }
    })().catch(() => undefined);
  }, 500);
  try {
    const result: PipelineResult = await handle.result();
    ended = true;
    clearInterval(poll);
    if (canaryRan) await printCanary(true).catch(() => undefined);
    console.log(`\n${formatSummary(result, url)}`);
  } catch (err) {
    if (!(err instanceof WorkflowFailedError)) throw err;
    console.error(`\nPipeline failed: ${err.cause?.message ?? err.message}\n  ${url}`);
    process.exitCode = 1;
  } finally {
    clearInterval(poll);
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
