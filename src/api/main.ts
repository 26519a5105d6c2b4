/** Entry point of the HTTP API: `npm run api`. */
import path from 'node:path';
import { PipelineSchedules } from '../client/schedules';
import { loadTrainerRegistry } from '../training/trainer-registry';
import { connectClient } from '../client/connect';
import { SlipwayClient } from '../client/slipway-client';
import { loadConfig } from '../config';
import { ConfigError } from '../errors';
import { createLogger } from '../logger';
import { openGovernance } from '../registry/create-registry';
import { apiAuthenticator, parseTokenList } from '../auth/authenticator';
import { AuthFailureThrottle } from '../auth/auth-throttle';
import { buildApi } from './server';
import { createArtifactStore } from '../artifacts/create-artifact-store';
import { HttpServingAdmin } from '../serving/http-serving-admin';
import { consoleRoutes } from '../console/console-routes';
import { purgingOnDiscard, sweepQuarantine } from '../registry/quarantine-purge';
import { defaultReferenceSources } from '../registry/reference-sources';

async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger(config.logLevel);
  const governance = await openGovernance(config);
  const bootstrapTokens = parseTokenList(config.api.tokens);
  if (config.api.insecure) {
    logger.warn('SLIPWAY_API_INSECURE=true: the API accepts every request as an admin; never expose it');
  } else if (bootstrapTokens.length === 0 && (await governance.access.listPrincipals()).length === 0) {
    await governance.close();
    throw new ConfigError(
      'No API principals yet: create the first admin with `slipway tokens bootstrap <name>` (against the same registry database), ' +
        'or set SLIPWAY_API_TOKENS=name:token for bootstrap admin tokens, or SLIPWAY_API_INSECURE=true for local development',
    );
  }
  const expired = bootstrapTokens.filter((t) => t.expiresAt && t.expiresAt <= new Date());
  if (expired.length > 0) logger.warn({ names: expired.map((t) => t.name) }, 'SLIPWAY_API_TOKENS: these tokens have expired and are refused; remove them');
  if (bootstrapTokens.length > 0) {
    logger.warn({ names: bootstrapTokens.map((t) => t.name) }, 'SLIPWAY_API_TOKENS: accepting bootstrap admin tokens; replace them with `slipway tokens create` and unset it');
  }
  const temporal = await connectClient(config);
  const artifacts = createArtifactStore(config);
  const purge = { quarantine: governance.quarantine, store: artifacts, sources: defaultReferenceSources(governance.quarantine, config.dataDir) };
  const backends = {
    slipway: new SlipwayClient(temporal, { taskQueue: config.taskQueue, uiUrl: config.uiUrl, namespace: config.temporal.namespace, signingKey: config.trust.signingKey }),
    registry: governance.registry,
    audit: governance.audit,
    // A discard deletes the batch's unreferenced bytes at once; a failed purge is left to the next sweep.
    quarantine: purgingOnDiscard(purge, (err, batch) => logger.warn({ err, model: batch.model, dataDigest: batch.dataDigest }, 'purge after discard failed; the next sweep tries again')),
    taskQueue: config.taskQueue,
    pipelinesDir: config.pipelinesDir,
    trainers: loadTrainerRegistry(config.trust.trainersFile),
    inlineCommandPrincipals: config.trust.inlineCommandPrincipals,
    dataRoots: config.dataRoots.roots,
    artifacts,
  };
  const authenticator = config.api.insecure ? undefined : apiAuthenticator(governance.access, bootstrapTokens);
  const app = await buildApi({
    ...backends,
    schedules: new PipelineSchedules(temporal, config.taskQueue, config.trust.signingKey),
    access: governance.access,
    quarantineSweep: () => sweepQuarantine(purge, { retentionMs: config.quarantine.retentionMs, retentionText: config.quarantine.retention, expiry: config.quarantine.expiry }),
    authenticator,
    authThrottle: new AuthFailureThrottle(config.authThrottle),
    logger,
    // The web console under /ui, on the same port, tokens and authorisation.
    routes: [
      consoleRoutes({
        ...backends,
        authenticator,
        simulationReportsDir: path.join(config.dataDir, 'reports'),
        serving: config.serve.url ? new HttpServingAdmin(config.serve.url, config.serve.adminToken, 5_000) : undefined,
      }),
    ],
  });
  const close = async () => {
    await app.close();
    await governance.close();
    await temporal.connection.close();
  };
  process.once('SIGTERM', () => void close());
  process.once('SIGINT', () => void close());
  const address = await app.listen({ host: config.api.host, port: config.api.port });
  logger.info({ console: `${address}/ui` }, 'Slipway console');
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
