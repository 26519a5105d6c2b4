/** Entry point of the model server: `npm run serve`. */
import { StaticTokenAuthenticator } from '../api/authenticator';
import { createArtifactStore } from '../artifacts/create-artifact-store';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { createRegistry } from '../registry/create-registry';
import { FileDeploymentStore } from './file-deployment-store';
import { RegistryModelLoader } from './model-loader';
import { buildModelServer } from './model-server';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel).child({ component: 'model-server' });
  const s = config.serve;
  if (!s.adminToken) logger.warn('SLIPWAY_SERVE_ADMIN_TOKEN is not set: the admin API is disabled, persisted deployments are served as they are');
  // SQLite or PostgreSQL (SLIPWAY_REGISTRY_URL), the same database the worker registers into.
  const registry = await createRegistry(config);
  const server = await buildModelServer({
    loader: new RegistryModelLoader(registry, createArtifactStore(config)),
    store: new FileDeploymentStore(s.statePath),
    adminAuthenticator: s.adminToken ? new StaticTokenAuthenticator([{ name: 'serve-admin', token: s.adminToken }]) : undefined,
    logger,
    limits: {
      maxConcurrency: s.maxConcurrency,
      maxQueue: s.maxQueue,
      rateLimitPerSecond: s.rateLimitPerSecond,
      maxBatch: s.maxBatch,
      feedbackCapacity: s.feedbackCapacity,
      labelWindow: s.labelWindow,
      statsRetentionSeconds: s.statsRetentionSeconds,
    },
  });
  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    // app.close() stops accepting, lets in-flight requests finish, then releases the sessions.
    await server.app.close();
    await registry.close();
  };
  process.once('SIGTERM', () => void close());
  process.once('SIGINT', () => void close());
  const address = await server.app.listen({ host: s.host, port: s.port });
  logger.info({ address, statePath: s.statePath, deployments: server.deployments.list().map((d) => d.model) }, 'model server listening');
}

main().catch((err) => {
  // eslint-disable-next-line no-console -- entry point
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
