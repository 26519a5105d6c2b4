/** `slipway models tag <model> [version] --set key=value --remove key`: a version's tags (approver with a grant on the model, or admin). */
import type { Command } from 'commander';
import { cliPrincipal, CliError, print, withGovernance } from '../context';
import { resolveModelRef } from '../../registry/model-uri';
import { versionRef } from '../version-args';

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

/** `key=value` pairs into an object; the first `=` separates, so values may contain more. */
export function parseTagPairs(pairs: string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new CliError(`--set ${JSON.stringify(pair)}: expected key=value, e.g. --set stage=ga`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

export function registerTagCommand(models: Command): void {
  models
    .command('tag')
    .description("set or remove a version's tags (approver with a grant on the model, or admin); audited as version.annotate")
    .argument('<model>', 'a model name, or a models:/<name>/<version> or models:/<name>@<alias> URI')
    .argument('[version]', 'e.g. v3, 3 or @champion')
    .option('--set <key=value>', 'set a tag (repeatable)', collect)
    .option('--remove <key>', 'remove a tag (repeatable)', collect)
    .option('--reason <text>', 'recorded in the audit log')
    .option('--as <name>', 'who tags, recorded as local:<name> when SLIPWAY_TOKEN is not set', process.env.USER ?? 'cli')
    .option('--json')
    .action(async (model: string, version: string | undefined, o: { set?: string[]; remove?: string[]; reason?: string; as: string; json?: boolean }) => {
      const setTags = parseTagPairs(o.set ?? []);
      if (Object.keys(setTags).length === 0 && !o.remove?.length) throw new CliError('name at least one tag: --set key=value or --remove key');
      const ref = versionRef(model, version);
      await withGovernance(async (governance, config) => {
        const principal = await cliPrincipal(governance, config, 'version.annotate', { model: ref.model }, o.as);
        const target = await resolveModelRef(governance.registry, ref);
        const updated = await governance.registry.annotateVersion({
          model: target.model,
          version: target.version,
          setTags,
          removeTags: o.remove,
          actor: principal.name,
          reason: o.reason,
          origin: 'cli',
        });
        print(!!o.json, updated, () => {
          const tags = Object.entries(updated.tags).map(([k, v]) => `${k}=${v}`);
          return `${updated.model} v${updated.version} tags: ${tags.join('  ') || '(none)'}`;
        });
      });
    });
}
