/** The `slipway` command line. */
import { Command, CommanderError } from 'commander';
import { version } from '../../package.json';
import { registerGovernanceCommands } from './commands/governance';
import { registerModelCommands } from './commands/models';
import { registerDataCommands } from './commands/data';
import { registerRunCommands } from './commands/runs';
import { registerScheduleCommands } from './commands/schedules';
import { describeError } from './context';

/** Exit status of a command line that could not be parsed (commander's default, 1, means "failed"). */
const USAGE_EXIT = 2;

const program = new Command('slipway')
  .description('Slipway: ML pipelines on Temporal (connection from TEMPORAL_ADDRESS / TEMPORAL_PROFILE; see README)')
  .version(version, '-V, --version')
  .showHelpAfterError()
  // Commander prints the problem and help itself; subcommands registered below inherit this.
  .exitOverride();
registerRunCommands(program);
registerScheduleCommands(program);
registerModelCommands(program);
registerDataCommands(program);
registerGovernanceCommands(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (err instanceof CommanderError) process.exit(err.exitCode === 0 ? 0 : USAGE_EXIT);
  console.error(`slipway: ${describeError(err)}`);
  process.exit(2);
});
