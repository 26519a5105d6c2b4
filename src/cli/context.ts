/** What every CLI command needs: config, a connected client, output helpers. */
import type { PipelineSchedules } from '../client/schedules';
import type { SlipwayClient } from '../client/slipway-client';
import { loadConfig, type Config } from '../config';
import type { AuditLog } from '../audit/audit-log';
import { authorize } from '../auth/authorize';
import type { Principal, Resource } from '../auth/principal';
import type { Action } from '../auth/roles';
import { AuthenticationError, isSlipwayError } from '../errors';
import type { Governance } from '../registry/create-registry';
import type { ModelRegistry } from '../registry/model-registry';

export interface CliContext {
  config: Readonly<Config>;
  slipway: SlipwayClient;
  schedules: PipelineSchedules;
}

/** Failures the user can act on: printed without a stack trace, exit code 2. */
export class CliError extends Error {}

// The Temporal client, the database drivers and the artifact stores are loaded by the commands that use
// them (here and in ./commands): loading them all cost every invocation about 1.4 s, `slipway tokens list` too.

export async function withClient<T>(fn: (ctx: CliContext) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const [{ connectClient }, { SlipwayClient }, { PipelineSchedules }] = await Promise.all([
    import('../client/connect'),
    import('../client/slipway-client'),
    import('../client/schedules'),
  ]);
  let temporal;
  try {
    temporal = await connectClient(config);
  } catch (err) {
    const address = String(config.temporal.connection.address ?? 'localhost:7233');
    throw new CliError(
      `Cannot reach Temporal at ${address} (namespace ${config.temporal.namespace}): ${(err as Error).message}\n` +
        'Start the dev server with `make dev-server`, or point TEMPORAL_ADDRESS / TEMPORAL_PROFILE at your cluster.',
    );
  }
  try {
    return await fn({
      config,
      slipway: new SlipwayClient(temporal, { taskQueue: config.taskQueue, uiUrl: config.uiUrl, namespace: config.temporal.namespace, signingKey: config.trust.signingKey }),
      schedules: new PipelineSchedules(temporal, config.taskQueue, config.trust.signingKey),
    });
  } finally {
    await temporal.connection.close();
  }
}

export async function withRegistry<T>(fn: (registry: ModelRegistry) => Promise<T>): Promise<T> {
  const { createRegistry } = await import('../registry/create-registry');
  const registry = await createRegistry(loadConfig());
  try {
    return await fn(registry);
  } finally {
    await registry.close();
  }
}

/** The registry, access control and audit log on the configured database. */
export async function withGovernance<T>(fn: (governance: Governance, config: Readonly<Config>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const { openGovernance } = await import('../registry/create-registry');
  const governance = await openGovernance(config);
  try {
    return await fn(governance, config);
  } finally {
    await governance.close();
  }
}

/**
 * Who runs a command. With SLIPWAY_TOKEN set, the principal of that token, checked against
 * `action` like an API request. Without it, the local user as `local:<name>` (a name no stored
 * principal can have), since whoever runs the CLI against the database and Temporal directly
 * can act anyway; managing tokens, principals and grants always needs an admin token.
 * @throws AuthenticationError for an invalid SLIPWAY_TOKEN; PermissionDeniedError without the role or grant.
 */
export async function cliPrincipal(
  governance: Pick<Governance, 'access'>,
  config: Readonly<Config>,
  action: Action,
  resource: Resource = {},
  localName = process.env.USER ?? 'cli',
): Promise<Principal> {
  const token = config.api.cliToken;
  if (!token) {
    if (action === 'token.manage') {
      throw new CliError(
        'set SLIPWAY_TOKEN to an admin token to manage tokens, principals and grants; on a fresh install create the first admin with `slipway tokens bootstrap <name>`',
      );
    }
    return { name: `local:${localName}`, roles: ['admin'], grants: [] };
  }
  const principal = await governance.access.authenticate(token);
  if (!principal) throw new AuthenticationError('SLIPWAY_TOKEN is not a valid token (unknown, revoked or expired, or its principal is disabled)');
  authorize(principal, action, resource);
  return principal;
}

/** A connected client, acting as a principal that may do the command's action, and the audit log. */
export interface ActingContext extends CliContext {
  principal: Principal;
  audit: AuditLog;
}

/**
 * {@link withClient} for a command that changes something: checks {@link cliPrincipal} for
 * `action` (on the resource `resource` looks up, e.g. the model a run promotes) and hands over
 * the audit log, where the command records what it did with origin `cli`.
 */
export async function withClientActing<T>(
  action: Action,
  fn: (ctx: ActingContext) => Promise<T>,
  options: { resource?: (ctx: CliContext) => Promise<Resource>; localName?: string } = {},
): Promise<T> {
  return withGovernance((governance, config) =>
    withClient(async (ctx) => {
      const resource = options.resource ? await options.resource(ctx) : {};
      const principal = await cliPrincipal(governance, config, action, resource, options.localName);
      return fn({ ...ctx, principal, audit: governance.audit });
    }),
  );
}

export function print(json: boolean, value: unknown, human: () => string): void {
  console.log(json ? JSON.stringify(value, null, 2) : human());
}

export function describeError(err: unknown): string {
  if (err instanceof CliError) return err.message;
  if (isSlipwayError(err)) return err.message;
  const cause = (err as { cause?: { message?: string; type?: string } })?.cause;
  if (cause?.message) return `${(err as Error).message}: ${cause.type ? `${cause.type}: ` : ''}${cause.message}`;
  return err instanceof Error ? err.message : String(err);
}

/** Parses `--set step.path=value` pairs into an overrides object; values are JSON when they parse. */
export function parseSets(sets: string[]): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const set of sets) {
    const eq = set.indexOf('=');
    if (eq <= 0) throw new CliError(`--set ${set}: expected step.path=value, e.g. --set train.params.seed=11`);
    const [step, ...pathParts] = set.slice(0, eq).split('.');
    if (pathParts.length === 0) throw new CliError(`--set ${set}: name a parameter after the step id, e.g. ${step}.window.from`);
    const raw = set.slice(eq + 1);
    let value: unknown = raw;
    try {
      value = JSON.parse(raw);
    } catch {
      // A bare word stays a string.
    }
    let node: Record<string, unknown> = (out[step] ??= {});
    for (const key of pathParts.slice(0, -1)) node = (node[key] ??= {}) as Record<string, unknown>;
    node[pathParts.at(-1)!] = value;
  }
  return out;
}
