/** Entry point of the model server: `npm run serve`. */
import { apiAuthenticator } from '../api/authenticator';
import { createArtifactStore } from '../artifacts/create-artifact-store';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { openGovernance } from '../registry/create-registry';
import { FileDeploymentStore } from './file-deployment-store';
import { RegistryModelLoader } from './model-loader';
import { buildModelServer } from './model-server';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel).child({ component: 'model-server' });
  const s = config.serve;
  // SQLite or PostgreSQL (SLIPWAY_REGISTRY_URL), the same database the worker registers into; its
  // principals' tokens open the admin API too (reads: any role; deployment changes: approver with a
  // grant on the model, or admin). SLIPWAY_SERVE_ADMIN_TOKEN is the workers' service token (admin).
  const governance = await openGovernance(config);
  const { registry } = governance;
  const server = await buildModelServer({
    loader: new RegistryModelLoader(registry, createArtifactStore(config)),
    store: new FileDeploymentStore(s.statePath),
    adminAuthenticator: apiAuthenticator(governance.access, s.adminToken ? [{ name: 'serve-admin', token: s.adminToken }] : []),
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
    await governance.close();
  };
  process.once('SIGTERM', () => void close());
  process.once('SIGINT', () => void close());
  const address = await server.app.listen({ host: s.host, port: s.port });
  logger.info({ address, statePath: s.statePath, deployments: server.deployments.list().map((d) => d.model) }, 'model server listening');
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
