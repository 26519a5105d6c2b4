/** Entry point of the HTTP API: `npm run api`. */
import { PipelineSchedules } from '../client/schedules';
import { connectClient } from '../client/connect';
import { SlipwayClient } from '../client/slipway-client';
import { loadConfig } from '../config';
import { ConfigError } from '../errors';
import { createLogger } from '../logger';
import { createRegistry } from '../registry/create-registry';
import { parseTokenList, StaticTokenAuthenticator } from './authenticator';
import { buildApi } from './server';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const tokens = parseTokenList(config.api.tokens);
  if (tokens.length === 0 && !config.api.insecure) {
    throw new ConfigError('SLIPWAY_API_TOKENS is empty: set name:token pairs, or SLIPWAY_API_INSECURE=true for local development');
  }
  const temporal = await connectClient(config);
  const registry = await createRegistry(config);
  const app = await buildApi({
    slipway: new SlipwayClient(temporal, { taskQueue: config.taskQueue, uiUrl: config.uiUrl, namespace: config.temporal.namespace }),
    schedules: new PipelineSchedules(temporal, config.taskQueue),
    registry,
    pipelinesDir: config.pipelinesDir,
    authenticator: tokens.length > 0 ? new StaticTokenAuthenticator(tokens) : undefined,
    logger,
  });
  const close = async () => {
    await app.close();
    await registry.close();
    await temporal.connection.close();
  };
  process.once('SIGTERM', () => void close());
  process.once('SIGINT', () => void close());
  await app.listen({ host: config.api.host, port: config.api.port });
}

main().catch((err) => {
  // eslint-disable-next-line no-console -- entry point
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
