/** `slipway data quarantine | release | discard`: batches that validation stopped. */
import type { Command } from 'commander';
import type { QuarantinedBatch, QuarantineState } from '../../registry/quarantine';
import { cliPrincipal, CliError, print, withGovernance } from '../context';

const STATES = ['quarantined', 'released', 'discarded'];

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
      .description(decision === 'release' ? 'release a quarantined batch: a re-run trains on it (needs the approver role and a grant on the model)' : 'discard a quarantined batch: runs on it keep failing')
      .argument('<model>')
      .argument('<digest>', 'the data digest the failure message names')
      .requiredOption('--reason <text>', 'recorded in the audit log (and, for a release, the lineage of models trained on it)')
      .option('--as <name>', 'who decides, recorded as local:<name> when SLIPWAY_TOKEN is not set', process.env.USER ?? 'cli')
      .option('--json')
      .action(async (model: string, digest: string, o: { reason: string; as: string; json?: boolean }) =>
        withGovernance(async (governance, config) => {
          const principal = await cliPrincipal(governance, config, 'data.release', { model, alias: 'champion' }, o.as);
          const batch = await governance.quarantine.decide({ model, dataDigest: digest, decision, actor: principal.name, reason: o.reason, origin: 'cli' });
          print(!!o.json, batch, () => line(batch));
        }),
      );
  }
}
