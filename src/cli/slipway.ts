/** The `slipway` command line. */
import { Command } from 'commander';
import { registerGovernanceCommands } from './commands/governance';
import { registerModelCommands } from './commands/models';
import { registerRunCommands } from './commands/runs';
import { registerScheduleCommands } from './commands/schedules';
import { describeError } from './context';

const program = new Command('slipway')
  .description('Slipway: ML pipelines on Temporal (connection from TEMPORAL_ADDRESS / TEMPORAL_PROFILE; see README)')
  .showHelpAfterError();
registerRunCommands(program);
registerScheduleCommands(program);
registerModelCommands(program);
registerGovernanceCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  console.error(`slipway: ${describeError(err)}`);
  process.exit(2);
});
