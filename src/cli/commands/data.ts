/** `slipway data quarantine | release | discard | sweep`: batches that validation stopped. */
import type { Command } from 'commander';
import type { Config } from '../../config';
import type { Governance } from '../../registry/create-registry';
import type { QuarantinedBatch, QuarantineState } from '../../registry/quarantine';
import type { PurgeDeps } from '../../registry/quarantine-purge';
import { cliPrincipal, CliError, print, withGovernance } from '../context';

const STATES = ['quarantined', 'released', 'discarded'];

/** What a purge needs; its artifact store (an S3 client, perhaps) is loaded only by the commands that delete. */
async function purgeDeps(governance: Governance, config: Readonly<Config>): Promise<PurgeDeps> {
  const [{ createArtifactStore }, { defaultReferenceSources }] = await Promise.all([
    import('../../artifacts/create-artifact-store'),
    import('../../registry/reference-sources'),
  ]);
  return { quarantine: governance.quarantine, store: createArtifactStore(config), sources: defaultReferenceSources(governance.quarantine, config.dataDir) };
}

const line = (b: QuarantinedBatch): string =>
  `${b.model.padEnd(20)} ${b.dataDigest.slice(0, 16).padEnd(17)} ${b.state.padEnd(11)} ${b.quarantinedAt}  failed: ${b.failed.slice(0, 3).join(', ')}${b.failed.length > 3 ? ', ...' : ''}${b.decision ? `\n${''.padEnd(39)}${b.state} by ${b.decision.by} at ${b.decision.at}: ${b.decision.reason}` : ''}`;

export function registerDataCommands(program: Command): void {
  const data = program.command('data').description('data batches that validation stopped (quarantine)');
  data
    .command('quarantine')
    .description('list quarantined batches (and released or discarded ones with --state)')
    .argument('[model]')
    .option('--state <state>', `one of ${STATES.join(', ')}`)
    .option('--json')
    .action(async (model: string | undefined, o: { state?: string; json?: boolean }) =>
      withGovernance(async (governance, config) => {
        if (o.state && !STATES.includes(o.state)) throw new CliError(`--state ${JSON.stringify(o.state)}: expected one of ${STATES.join(', ')}`);
        await cliPrincipal(governance, config, 'model.read');
        const batches = await governance.quarantine.list({ model, state: o.state as QuarantineState | undefined });
        print(!!o.json, batches, () => (batches.length === 0 ? 'no batches' : batches.map(line).join('\n')));
      }),
    );
  for (const decision of ['release', 'discard'] as const) {
    data
      .command(decision)
      .description(
        decision === 'release'
          ? 'release a quarantined batch: a re-run trains on it (needs the approver role and a grant on the model)'
          : 'discard a quarantined batch: runs on it keep failing, and its snapshots are deleted unless something else refers to them',
      )
      .argument('<model>')
      .argument('<digest>', 'the data digest the failure message names')
      .requiredOption('--reason <text>', 'recorded in the audit log (and, for a release, the lineage of models trained on it)')
      .option('--as <name>', 'who decides, recorded as local:<name> when SLIPWAY_TOKEN is not set', process.env.USER ?? 'cli')
      .option('--json')
      .action(async (model: string, digest: string, o: { reason: string; as: string; json?: boolean }) =>
        withGovernance(async (governance, config) => {
          const principal = await cliPrincipal(governance, config, 'data.release', { model, alias: 'champion' }, o.as);
          const batch = await governance.quarantine.decide({ model, dataDigest: digest, decision, actor: principal.name, reason: o.reason, origin: 'cli' });
          if (decision === 'release') return print(!!o.json, batch, () => line(batch));
          // The discard is committed; a purge that fails here is finished by the next sweep.
          const { purgeBatch } = await import('../../registry/quarantine-purge');
          const purge = await purgeBatch(await purgeDeps(governance, config), batch, { actor: principal.name, origin: 'cli' }).catch((err: unknown) => ({ error: err instanceof Error ? err.message : String(err) }));
          print(!!o.json, { ...batch, purge }, () =>
            `${line(batch)}\n${'error' in purge ? `purge failed (the next sweep retries): ${purge.error}` : `deleted ${purge.deleted.length} artifact(s), ${purge.gone.length} already gone, kept ${purge.kept.length}${purge.kept.map((k) => `\n  kept ${k.sha256.slice(0, 16)}: ${k.reasons.join('; ')}`).join('')}`}`,
          );
        }),
      );
  }
  data
    .command('sweep')
    .description('discard batches undecided beyond SLIPWAY_QUARANTINE_RETENTION and delete discarded batches\' unreferenced bytes (admin)')
    .option('--as <name>', 'who runs it, when SLIPWAY_TOKEN is not set', process.env.USER ?? 'cli')
    .option('--json')
    .action(async (o: { as: string; json?: boolean }) =>
      withGovernance(async (governance, config) => {
        await cliPrincipal(governance, config, 'data.sweep', undefined, o.as);
        const q = config.quarantine;
        const { sweepQuarantine } = await import('../../registry/quarantine-purge');
        const result = await sweepQuarantine(await purgeDeps(governance, config), { retentionMs: q.retentionMs, retentionText: q.retention, expiry: q.expiry });
        print(!!o.json, result, () =>
          [
            ...result.expired.map((b) => `discarded (retention ${q.retention} expired): ${b.model} ${b.dataDigest}`),
            ...result.overdue.map((b) => `undecided beyond ${q.retention}: ${b.model} ${b.dataDigest} (quarantined ${b.quarantinedAt})`),
            ...result.purged.map((p) => `purged ${p.model} ${p.dataDigest}: deleted ${p.deleted.length}, already gone ${p.gone.length}, kept ${p.kept.length}`),
            ...result.failed.map((f) => `purge failed ${f.model} ${f.dataDigest}: ${f.error}`),
          ].join('\n') || 'nothing to do',
        );
      }),
    );
}
