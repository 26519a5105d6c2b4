/** Entry point of the model server: `npm run serve`. */
import { apiAuthenticator } from '../auth/authenticator';
import { AuthFailureThrottle } from '../auth/auth-throttle';
import { createArtifactStore } from '../artifacts/create-artifact-store';
import { loadConfig } from '../config';
import { createLogger } from '../logger';
import { openGovernance } from '../registry/create-registry';
import { FileDeploymentStore } from './file-deployment-store';
import { RegistryModelLoader } from './model-loader';
import { startOipGrpcServer } from './grpc/oip-grpc';
import { buildModelServer } from './model-server';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel).child({ component: 'model-server' });
  const s = config.serve;
  // SQLite or PostgreSQL (SLIPWAY_REGISTRY_URL), the same database the worker registers into; its
  // principals' tokens open the admin API too (reads: any role; deployment changes: approver with a
  // grant on the model, or admin). SLIPWAY_SERVE_ADMIN_TOKEN is the workers' service token (admin).
  // The same tokens authenticate label sources (feedback: labeler role with a grant on the model);
  // SLIPWAY_SERVE_LABELER_TOKEN is the local setups' static labeler (every model). Admin changes
  // are recorded in the registry's audit log.
  const governance = await openGovernance(config);
  const { registry } = governance;
  const staticTokens = [
    // Every listed admin token is accepted: more than one while the service token is being rotated.
    ...s.adminTokens.map((token) => ({ name: 'serve-admin', token })),
    ...(s.labelerToken ? [{ name: 'serve-labeler', token: s.labelerToken, roles: ['labeler' as const], grants: [{ model: '*', alias: '*' }] }] : []),
  ];
  const artifacts = createArtifactStore(config);
  const server = await buildModelServer({
    loader: new RegistryModelLoader(registry, artifacts, { linearScorer: s.linearScorer === 'auto' }),
    inferenceLog: config.inferenceLogDir ? { dir: config.inferenceLogDir, store: artifacts, ...s.log } : undefined,
    store: new FileDeploymentStore(s.statePath),
    adminAuthenticator: apiAuthenticator(governance.access, staticTokens),
    authThrottle: new AuthFailureThrottle(config.authThrottle),
    audit: governance.audit,
    predictAuth: s.predictAuth,
    trustProxy: s.trustProxy,
    logger,
    limits: {
      maxConcurrency: s.maxConcurrency,
      maxQueue: s.maxQueue,
      shadowMaxPending: s.shadowMaxPending,
      rateLimitPerSecond: s.rateLimitPerSecond,
      maxBatch: s.maxBatch,
      feedbackCapacity: s.feedbackCapacity,
      feedbackMaxBytes: s.feedbackMaxBytes,
      labelQuotaPerMinute: s.labelQuotaPerMinute,
      labelWindow: s.labelWindow,
      statsRetentionSeconds: s.statsRetentionSeconds,
      statsMaxBytes: s.statsMaxBytes,
    },
  });
  const grpc = s.grpcPort === undefined ? undefined : await startOipGrpcServer(server.protocol, { host: s.host, port: s.grpcPort, rateLimitPerSecond: s.rateLimitPerSecond });
  if (grpc) logger.info({ host: s.host, port: grpc.port }, 'Open Inference Protocol gRPC listening');
  let closing = false;
  const close = async () => {
    if (closing) return;
    closing = true;
    await grpc?.close();
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
