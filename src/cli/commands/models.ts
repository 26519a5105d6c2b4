/**
 * `slipway models list | show | compare | lineage | tag` and `slipway rollback`. Wherever a
 * version is named it may be `<model> <version>` (3, v3, @alias) or one `models:/` URI
 * (`models:/churn/3`, `models:/churn@champion`).
 */
import type { Command } from 'commander';
import { appenderFor, writeAhead } from '../../audit/write-ahead';
import type { ModelVersion } from '../../registry/model-registry';
import { isModelUri, parseVersionRef, resolveModelRef } from '../../registry/model-uri';
import { cliPrincipal, CliError, print, withClient, withGovernance, withRegistry } from '../context';
import { modelOf, resolveArgs, versionRef } from '../version-args';
import { comparedMetrics, headlineMetric } from '../version-metrics';
import { registerImportCommand } from './model-import';
import { registerTagCommand } from './model-tags';

export function registerModelCommands(program: Command): void {
  const models = program.command('models').description('the model registry');
  models
    .command('list')
    .option('--json')
    .action(async (o: { json?: boolean }) =>
      withRegistry(async (registry) => {
        const all = await registry.listModels();
        print(!!o.json, all, () =>
          all.length === 0 ? 'no models' : all.map((m) => `${m.model.padEnd(24)} latest v${m.latestVersion}  ${Object.entries(m.aliases).map(([a, v]) => `${a}=v${v}`).join(' ')}`).join('\n'),
        );
      }),
    );
  models
    .command('show')
    .argument('<model>', 'a model name, or a models:/<name>/<version> or models:/<name>@<alias> URI')
    .argument('[version]', 'e.g. v3, 3 or @champion')
    .option('--json')
    .action(async (model: string, version: string | undefined, o: { json?: boolean }) =>
      withRegistry(async (registry) => {
        if (version !== undefined || isModelUri(model)) {
          const v = await resolveArgs(registry, model, version);
          print(!!o.json, v, () => JSON.stringify(v, null, 2));
          return;
        }
        const versions = await registry.listVersions(model);
        if (versions.length === 0) throw new CliError(`no model "${model}"`);
        const champion = (await registry.getAlias(model, 'champion'))?.version;
        print(!!o.json, { model, champion, versions }, () =>
          versions
            .map((v) => `v${String(v.version).padEnd(4)} ${v.version === champion ? 'champion ' : '         '} ${headlineMetric(v)}  ${v.createdAt}  ${v.lineage.workflowId}`)
            .join('\n'),
        );
      }),
    );
  program
    .command('rollback')
    .description('move the champion of a model back to an earlier version (runs the rollback workflow and waits for it)')
    .argument('<model>', 'a model name, or a models:/ URI naming the version to roll back to')
    .argument('[version]', 'e.g. v3, 3 or @previous')
    .requiredOption('--reason <text>', 'recorded in the alias history and the audit log')
    .option('--as <name>', 'who rolls back, recorded as local:<name> when SLIPWAY_TOKEN is not set', process.env.USER ?? 'cli')
    .option('--json')
    .action(async (modelArg: string, version: string | undefined, o: { reason: string; as: string; json?: boolean }) =>
      withGovernance(async (governance, config) => {
        const ref = versionRef(modelArg, version);
        const model = ref.model;
        const principal = await cliPrincipal(governance, config, 'model.rollback', { model, alias: 'champion' }, o.as);
        const toVersion = (await resolveModelRef(governance.registry, ref)).version;
        await withClient(async ({ slipway }) => {
          // The registry audits the move itself (model.rollback); these entries tie the workflow to the command.
          const { rollbackWorkflowId, startRollback } = await import('../../api/run-rollback');
          const workflowId = rollbackWorkflowId(model);
          const started = await writeAhead(
            appenderFor(governance.audit, principal.name, 'cli'),
            { action: 'run.start', target: `run:${workflowId}`, reason: o.reason, details: { workflowType: 'rollback', model, version: toVersion } },
            () =>
              startRollback(
                slipway.temporal,
                config.taskQueue,
                { model, version: toVersion, reason: o.reason, actor: principal.name },
                { key: config.trust.signingKey, principal },
                workflowId,
              ),
            (run) => ({ runId: run.runId }),
          );
          const { move, serving } = await started.result;
          print(!!o.json, { ...move, workflowId: started.workflowId, serving }, () => {
            const server = 'skipped' in serving ? `model server: skipped (${serving.skipped})` : `model server revision ${serving.revision}`;
            return `${model}: champion v${move.fromVersion} -> v${move.toVersion} by ${move.actor}  (${started.workflowId}; ${server})`;
          });
        });
      }),
    );
  models
    .command('lineage')
    .description('data snapshot → validation report → training run → evaluation report → alias moves')
    .argument('<model>', 'a model name, or a models:/ URI')
    .argument('[version]', 'e.g. v3, 3 or @champion')
    .option('--json')
    .action(async (model: string, version: string | undefined, o: { json?: boolean }) =>
      withRegistry(async (registry) => {
        const v = await resolveArgs(registry, model, version);
        const { formatLineage, versionLineage } = await import('../../registry/lineage');
        const lineage = await versionLineage(registry, v.model, v.version);
        if (!lineage) throw new CliError(`no version ${v.version} of model "${v.model}"`);
        print(!!o.json, lineage, () => formatLineage(lineage));
      }),
    );

  models
    .command('compare')
    .argument('<model>', 'a model name, or a models:/ URI (then the first version compared)')
    .argument('[versions...]', 'e.g. v3 v5 @champion models:/churn/7')
    .option('--json')
    .action(async (modelArg: string, versions: string[], o: { json?: boolean }) =>
      withRegistry(async (registry) => {
        const model = modelOf(modelArg);
        const labels = isModelUri(modelArg) ? [modelArg, ...versions] : versions;
        if (labels.length === 0) throw new CliError(`name the versions of ${model} to compare, e.g. \`slipway models compare ${model} v3 @champion\``);
        const rows: ModelVersion[] = [];
        for (const [i, label] of labels.entries()) rows.push(await resolveModelRef(registry, parseVersionRef(model, label, `versions[${i}]`)));
        print(!!o.json, rows.map((v) => ({ version: v.version, metrics: v.metrics, dataDigest: v.lineage.dataDigest })), () => {
          const header = ['metric'.padEnd(14), ...rows.map((v) => `v${v.version}`.padStart(10))].join(' ');
          const lines = comparedMetrics(rows).map((m) => [m.padEnd(14), ...rows.map((v) => (typeof v.metrics[m] === 'number' ? v.metrics[m].toFixed(4) : '-').padStart(10))].join(' '));
          return [header, ...lines].join('\n');
        });
      }),
    );
  registerTagCommand(models);
  registerImportCommand(models);
}
