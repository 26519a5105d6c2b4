/**
 * `slipway models import <model> <file.onnx> --task binary --features distance,hour:categorical`:
 * registers an ONNX model trained elsewhere (approver with a grant on the model, or admin; `model.import`).
 * Checked with onnxruntime against the declared contract first; a mismatch names each problem and
 * stores nothing. The registry audits the version (`version.register`, origin `cli`).
 */
import { existsSync } from 'node:fs';
import type { Command } from 'commander';
import { importContractSchema } from '../../pipeline/import-params';
import { cliPrincipal, CliError, print, withGovernance } from '../context';

/**
 * `distance,hour:categorical,origin:categorical` → numeric and categorical columns; a bare name is numeric.
 * @throws CliError naming an entry whose kind is neither numeric nor categorical.
 */
export function parseFeatureList(text: string): { numeric: string[]; categorical: string[] } {
  const out = { numeric: [] as string[], categorical: [] as string[] };
  for (const item of text.split(',').map((s) => s.trim()).filter((s) => s !== '')) {
    const [name, kind = 'numeric', ...rest] = item.split(':');
    if (rest.length > 0 || (kind !== 'numeric' && kind !== 'categorical')) {
      throw new CliError(`--features ${JSON.stringify(item)}: expected <column> or <column>:numeric or <column>:categorical`);
    }
    out[kind].push(name);
  }
  return out;
}

export function registerImportCommand(models: Command): void {
  models
    .command('import')
    .description('register an ONNX model trained elsewhere as a new version (approver with a grant on the model, or admin), checked against its declared contract')
    .argument('<model>', 'model name (created on its first version)')
    .argument('<file>', 'the .onnx file')
    .requiredOption('--features <columns>', 'the model inputs: comma-separated columns, each <name> (numeric, tensor(float) [N,1]) or <name>:categorical (tensor(string) [N,1])')
    .option('--task <task>', 'binary (outputs label int64 [N], probabilities float [N,2]), multiclass (label string [N], probabilities [N,K]) or regression (value float [N,1])', 'binary')
    .option('--classes <names>', 'multiclass: comma-separated class names in the order of the probabilities columns')
    .option('--trainer <name>', 'recorded as the trainer in lineage', 'imported')
    .option('--description <text>')
    .option('--as <name>', 'who imports, recorded as local:<name> when SLIPWAY_TOKEN is not set', process.env.USER ?? 'cli')
    .option('--json')
    .action(async (model: string, file: string, o: { features: string; task: string; classes?: string; trainer: string; description?: string; as: string; json?: boolean }) => {
      if (!existsSync(file)) throw new CliError(`<file>: ${file} does not exist`);
      const parsed = importContractSchema.safeParse({
        task: o.task,
        features: parseFeatureList(o.features),
        ...(o.classes ? { classes: o.classes.split(',').map((c) => c.trim()) } : {}),
      });
      if (!parsed.success) throw new CliError(parsed.error.issues.map((i) => `--${String(i.path[0] ?? "features")}: ${i.message}`).join('\n'));
      await withGovernance(async (governance, config) => {
        const principal = await cliPrincipal(governance, config, 'model.import', { model }, o.as);
        // onnxruntime and the artifact store load only when a model is imported.
        const [{ importModel }, { createArtifactStore }] = await Promise.all([import('../../registry/import-model'), import('../../artifacts/create-artifact-store')]);
        const { version, created } = await importModel(
          { registry: governance.registry, store: createArtifactStore(config) },
          { model, file, contract: parsed.data, trainer: o.trainer, description: o.description, actor: principal.name, origin: 'cli' },
        );
        print(!!o.json, { ...version, created }, () =>
          `${created ? 'imported' : 'already imported as'} models:/${version.model}/${version.version}  sha256 ${version.artifact.sha256.slice(0, 12)}  by ${principal.name}` +
          (created ? `\nnext: evaluate, canary and promote it with a pipeline step { kind: import, with: { model: models:/${version.model}/${version.version} } }` : ''),
        );
      });
    });
}
