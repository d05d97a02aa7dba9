/** Runs `rivulet broker` in its own process, as the CLI does: the tests send it signals. */
import { brokerCommand } from '../../../src/cli/broker-command.js';

const code = await brokerCommand(process.argv.slice(2));
process.exit(code);
