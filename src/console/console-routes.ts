/**
 * The Slipway console: server-rendered pages under /ui on the API's port. Every page and action
 * is a route like the API's, naming its action from src/auth/roles.ts, so the same table
 * decides who may see and do what; the token comes from the session cookie instead of the
 * Authorization header. Actions are POSTed forms with a CSRF token and a same-origin check;
 * every response carries a strict Content-Security-Policy. Design notes: docs/console.md.
 */
import { createReadStream, readFileSync } from 'node:fs';
import path from 'node:path';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import type { Authenticator } from '../auth/authenticator';
import { errorHandler } from '../api/errors';
import { auditAround } from '../api/request-audit';
import { INSECURE_PRINCIPAL } from '../api/authorization';
import { sendArtifact } from '../api/routes/artifacts';
import { cancellableRun, decisionResource, pipelineRun, updateRefusal } from '../api/run-scope';
import { authorize } from '../auth/authorize';
import type { Resource } from '../auth/principal';
import { isAuthenticationError, isInvalidPipelineInput, isPermissionDeniedError } from '../errors';
import { isRegistryError } from '../registry/registry-error';
import { resolvePipelineInput } from '../pipeline/resolve-pipeline-input';
import { redactInput } from '../pipeline/redact-input';
import { workflowIdFor } from '../client/slipway-client';
import type { ConsoleDeps } from './console-deps';
import type { ArtifactRef } from '../pipeline/types';
import { html, page, type Html, type PageContext } from './html';
import { auditPage } from './pages/audit-page';
import { canariesList, canaryLive } from './pages/canaries-page';
import { dataPage } from './pages/data-page';
import { modelDetail, modelsList, warmModelCharts } from './pages/models-page';
import { runDetail, runsList } from './pages/runs-page';
import { servingPage } from './pages/serving-page';
import { trainingPage } from './pages/training-page';
import { compareDetail, versionDetail } from './pages/version-page';
import { ReportReader } from './report-reader';
import { warmUp } from '../charts/render-svg';
import { ConsoleSessions, sameOrigin } from './session';
import { parseMultipart } from './multipart';
import { startInput } from './start-input';

export interface ConsoleOptions extends ConsoleDeps {
  /** The API's authenticator; undefined when the API runs insecure (every request is the admin). */
  authenticator?: Authenticator;
  sessions?: ConsoleSessions;
}

const CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
const STATIC_DIR = path.join(__dirname, 'static');
const STATIC: Record<string, { type: string; body: string }> = {
  'console.css': { type: 'text/css; charset=utf-8', body: readFileSync(path.join(STATIC_DIR, 'console.css'), 'utf8') },
  'console.js': { type: 'text/javascript; charset=utf-8', body: readFileSync(path.join(STATIC_DIR, 'console.js'), 'utf8') },
};

/** Largest form body, an uploaded spec included. */
const FORM_LIMIT = 256 * 1024;
/** Where the multipart parser leaves its complaint for the preHandler (not a name a form field can take: forms have no `\0`). */
const FORM_ERROR = '\0formError';
/** Models whose metric chart is rendered at startup. */
const WARM_MODELS = 5;

type Body = Record<string, string | undefined>;
type Params = Record<string, string>;

export const consoleRoutes =
  (options: ConsoleOptions) =>
  async (app: FastifyInstance): Promise<void> => {
    const sessions = options.sessions ?? new ConsoleSessions();
    // Loaded before the server listens: the first page with a chart would otherwise wait a
    // second or more for Vega, and so would every request the event loop holds meanwhile.
    await warmUp().catch((err: unknown) => app.log.warn({ err }, 'could not load the chart library'));
    // The model page's chart is the costliest first render (a point per version); the first models' are drawn into the cache now.
    await warmModelCharts(options, WARM_MODELS).catch((err: unknown) => app.log.warn({ err }, 'could not pre-render model charts'));
    const reports = new ReportReader(options.artifacts);
    const tokenFrom = (request: FastifyRequest) => sessions.token(request);
    const ctxOf = (request: FastifyRequest): PageContext => ({ principal: request.principal ?? INSECURE_PRINCIPAL, csrf: sessions.csrf(request) });

    app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: FORM_LIMIT }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });
    // The start form uploads a spec file; parsed here into the same flat record (src/console/multipart.ts).
    app.addContentTypeParser('multipart/form-data', { parseAs: 'buffer', bodyLimit: FORM_LIMIT }, (request, body, done) => {
      // A malformed upload is reported after authorisation (preHandler), so a refused caller hears only "not allowed".
      try {
        done(null, parseMultipart(body as Buffer, request.headers['content-type']));
      } catch (err) {
        done(null, { [FORM_ERROR]: (err as Error).message });
      }
    });
    app.addHook('onSend', async (_request, reply) => {
      reply.header('content-security-policy', reply.getHeader('content-security-policy') ?? CSP);
      reply.header('x-frame-options', 'DENY');
      reply.header('referrer-policy', 'same-origin');
      reply.header('x-content-type-options', 'nosniff');
      if (!reply.getHeader('cache-control')) reply.header('cache-control', 'no-store');
    });
    // After authorisation (preValidation): a refused caller gets 403, never a CSRF hint.
    app.addHook('preHandler', async (request) => {
      if (request.method !== 'POST' || request.routeOptions.url === '/ui/login') return;
      const formError = (request.body as Body | undefined)?.[FORM_ERROR];
      if (formError) throw Object.assign(new Error(formError), { statusCode: 400 });
      if (!sameOrigin(request) || !sessions.checkCsrf(request, (request.body as Body | undefined)?._csrf)) {
        throw Object.assign(new Error('The form is stale or came from another site (CSRF check failed); reload the page and try again'), { statusCode: 403 });
      }
    });
    app.setErrorHandler((err: FastifyError, request, reply) => {
      if (isAuthenticationError(err) && request.method === 'GET') return reply.redirect('/ui/login', 303);
      const status = isAuthenticationError(err) || isPermissionDeniedError(err)
        ? err.statusCode
        : isInvalidPipelineInput(err)
          ? 400
          : err instanceof WorkflowUpdateFailedError || isRegistryError(err, 'batch-decided') || isRegistryError(err, 'stale-alias')
            ? 409
            : isRegistryError(err, 'unknown-batch') || isRegistryError(err, 'unknown-version') || isRegistryError(err, 'unknown-model')
              ? 404
              : isRegistryError(err, 'invalid-input')
                ? 400
                : undefined;
      if (status === undefined && !(err.statusCode && err.statusCode < 500)) return errorHandler(err, request, reply);
      const problems = isInvalidPipelineInput(err) ? err.problems : [];
      const message = err instanceof WorkflowUpdateFailedError ? (err.cause?.message ?? err.message) : err.message;
      const body = html`<p class="bad" role="alert">${message}</p>${problems.length ? html`<ul>${problems.map((p) => html`<li>${p}</li>`)}</ul>` : ''}<p><a href="/ui/models">Back to the console</a></p>`;
      return reply.status(status ?? err.statusCode ?? 500).type('text/html; charset=utf-8').send(page(request.principal ? ctxOf(request) : undefined, status === 403 ? 'Not allowed' : 'Request refused', body));
    });

    const send = (reply: FastifyReply, request: FastifyRequest, title: string, body: Html, active: string) =>
      reply.type('text/html; charset=utf-8').send(page(ctxOf(request), title, body, active));
    const notFound = (reply: FastifyReply, request: FastifyRequest, message: string) =>
      reply.status(404).type('text/html; charset=utf-8').send(page(ctxOf(request), 'Not found', html`<p>${message}</p>`));
    const get = (url: string, action: 'model.read' | 'run.read' | 'audit.read', handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) =>
      app.get(url, { config: { action, tokenFrom }, schema: { hide: true } }, handler);
    const post = (url: string, config: { action: Parameters<typeof get>[1] | 'run.start' | 'run.cancel' | 'run.approve' | 'run.reject' | 'alias.move' | 'deployment.change' | 'data.release' | 'version.annotate'; resource?: (r: FastifyRequest) => Resource | Promise<Resource> }, handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) =>
      app.post(url, { config: { ...config, tokenFrom }, schema: { hide: true } }, handler);
    const params = (request: FastifyRequest) => request.params as Params;
    const query = (request: FastifyRequest) => request.query as Body;
    const body = (request: FastifyRequest) => (request.body ?? {}) as Body;
    const reason = (request: FastifyRequest) => {
      const r = body(request).reason?.trim();
      if (!r) throw Object.assign(new Error('reason: give a reason; it is recorded in the audit log'), { statusCode: 400 });
      return r.slice(0, 2000);
    };
    const pageNo = (request: FastifyRequest) => Math.max(1, Math.trunc(Number(query(request).page ?? 1)) || 1);
    const actor = (request: FastifyRequest) => request.principal?.name ?? INSECURE_PRINCIPAL.name;

    // Sign-in and assets need no session.
    app.get('/ui', { config: { action: 'public' }, schema: { hide: true } }, async (_request, reply) => reply.redirect('/ui/models', 303));
    app.get('/ui/static/:file', { config: { action: 'public' }, schema: { hide: true } }, async (request, reply) => {
      const file = STATIC[params(request).file];
      if (!file) return reply.status(404).send('not found');
      return reply.type(file.type).header('cache-control', 'public, max-age=300').send(file.body);
    });
    app.get('/ui/login', { config: { action: 'public' }, schema: { hide: true } }, async (request, reply) => reply.type('text/html; charset=utf-8').send(loginPage(query(request).failed === '1')));
    app.post('/ui/login', { config: { action: 'public' }, schema: { hide: true } }, async (request, reply) => {
      if (!sameOrigin(request)) return reply.status(403).send('cross-site sign-in refused');
      const token = body(request).token?.trim() ?? '';
      const principal = options.authenticator ? await options.authenticator.authenticate(token) : INSECURE_PRINCIPAL;
      if (!principal) return reply.redirect('/ui/login?failed=1', 303);
      sessions.signIn(reply, request, token);
      return reply.redirect('/ui/models', 303);
    });
    post('/ui/logout', { action: 'model.read' }, async (request, reply) => {
      sessions.signOut(reply, request);
      return reply.redirect('/ui/login', 303);
    });

    get('/ui/models', 'model.read', async (request, reply) => send(reply, request, 'Models', await modelsList(options), '/ui/models'));
    get('/ui/models/:model', 'model.read', async (request, reply) => {
      const { model } = params(request);
      const body = await modelDetail(options, ctxOf(request), model, pageNo(request));
      return body ? send(reply, request, `Model ${model}`, body, '/ui/models') : notFound(reply, request, `No model "${model}"`);
    });
    get('/ui/models/:model/versions/:version', 'model.read', async (request, reply) => {
      const { model, version } = params(request);
      const body = await versionDetail(options, reports, ctxOf(request), model, Number(version));
      return body ? send(reply, request, `${model} v${version}`, body, '/ui/models') : notFound(reply, request, `No version ${version} of "${model}"`);
    });
    get('/ui/models/:model/compare', 'model.read', async (request, reply) => {
      const { model } = params(request);
      const a = Number(query(request).a);
      const b = Number(query(request).b);
      return send(reply, request, `${model}: v${a} against v${b}`, await compareDetail(options, reports, model, a, b), '/ui/models');
    });
    post('/ui/models/:model/aliases', { action: 'alias.move', resource: (r) => ({ model: params(r).model, alias: String(body(r).alias ?? '') }) }, async (request, reply) => {
      const { model } = params(request);
      const alias = String(body(request).alias ?? '');
      if (!/^[a-z][a-z0-9-]{0,62}$/.test(alias)) throw Object.assign(new Error(`alias: "${alias}" is not an alias name (lowercase letters, digits, dashes)`), { statusCode: 400 });
      if (alias === 'champion') throw Object.assign(new Error('alias: the champion moves through promotion or rollback (POST /v1/models/:model/rollback), so the model server follows it'), { statusCode: 400 });
      const current = await options.registry.getAlias(model, alias);
      await options.registry.setAlias({ model, alias, version: Number(body(request).version), expectedVersion: current?.version ?? null, actor: actor(request), reason: reason(request), origin: `console ${request.ip}` });
      return reply.redirect(`/ui/models/${encodeURIComponent(model)}`, 303);
    });
    // As POST /v1/models/:model/versions/:version/tags: an approver with a grant on the model (or an admin); the registry
    // records the change and its audit entry (version.annotate) in one transaction and checks the key and value.
    post('/ui/models/:model/versions/:version/tags', { action: 'version.annotate', resource: (r) => ({ model: params(r).model }) }, async (request, reply) => {
      const { model, version } = params(request);
      const b = body(request);
      const key = String(b.key ?? '').trim();
      if (b.op !== 'set' && b.op !== 'remove') throw Object.assign(new Error(`op: "${b.op ?? ''}" is neither set nor remove`), { statusCode: 400 });
      await options.registry.annotateVersion({
        model,
        version: Number(version),
        ...(b.op === 'set' ? { setTags: { [key]: String(b.value ?? '') } } : { removeTags: [key] }),
        actor: actor(request),
        reason: b.reason?.trim().slice(0, 2000) ?? '',
        origin: `console ${request.ip}`,
      });
      return reply.redirect(`/ui/models/${encodeURIComponent(model)}/versions/${encodeURIComponent(version)}#h-tags`, 303);
    });

    get('/ui/runs', 'run.read', async (request, reply) => send(reply, request, 'Runs', await runsList(options, ctxOf(request), { model: query(request).model }), '/ui/runs'));
    get('/ui/runs/:id', 'run.read', async (request, reply) => send(reply, request, `Run ${params(request).id}`, await runDetail(options, ctxOf(request), params(request).id), '/ui/runs'));
    post('/ui/runs', { action: 'run.start' }, async (request, reply) => {
      const input = startInput(body(request));
      // The same spec policy as POST /v1/runs: the signed-in principal's role decides which fields it may set.
      await resolvePipelineInput(
        { pipelinesDir: options.pipelinesDir, dataRoots: options.dataRoots, trainers: options.trainers, inlineCommandPrincipals: options.inlineCommandPrincipals },
        input,
        { principal: request.principal, via: 'ticket' },
      );
      const workflowId = workflowIdFor(input);
      const run = await auditAround(
        options.audit,
        request,
        { action: 'run.start', target: `run:${workflowId}`, details: { workflowType: 'pipeline', input: redactInput(input), via: 'console' } },
        () => options.slipway.startPipeline(input, { workflowId, principal: request.principal }),
        (r) => ({ runId: r.runId }),
      );
      return reply.redirect(`/ui/runs/${encodeURIComponent(run.workflowId)}`, 303);
    });
    // The same scope and grant rules as POST /v1/runs/:id/{approve,reject,cancel} (src/api/run-scope.ts).
    for (const decision of ['approve', 'reject'] as const) {
      post(`/ui/runs/:id/${decision}`, { action: decision === 'approve' ? 'run.approve' : 'run.reject', resource: (r) => decisionResource(options.slipway, params(r).id) }, async (request, reply) => {
        const { id } = params(request);
        const why = reason(request);
        // Admins skip the grant's resource lookup, so the scope is checked here too, before the intent entry.
        await pipelineRun(options.slipway, id);
        // Signed for the principal: the worker verifies the decision token and the grant, whatever the name says.
        await auditAround(
          options.audit,
          request,
          { action: `run.${decision}`, target: `run:${id}`, reason: why, details: { approver: actor(request), via: 'console' } },
          () => options.slipway[decision](id, { approver: actor(request), reason: why }, request.principal).catch(updateRefusal),
          (state) => ({ state: state.state }),
        );
        return reply.redirect(`/ui/runs/${encodeURIComponent(id)}`, 303);
      });
    }
    post('/ui/runs/:id/cancel', { action: 'run.cancel' }, async (request, reply) => {
      const { id } = params(request);
      await cancellableRun(options.slipway, request.principal, id);
      await auditAround(options.audit, request, { action: 'run.cancel', target: `run:${id}`, reason: body(request).reason, details: { via: 'console' } }, () => options.slipway.cancel(id));
      return reply.redirect(`/ui/runs/${encodeURIComponent(id)}`, 303);
    });

    get('/ui/canaries', 'run.read', async (request, reply) => send(reply, request, 'Canaries', await canariesList(options), '/ui/canaries'));
    get('/ui/canaries/:model', 'run.read', async (request, reply) => {
      const live = await canaryLive(options, ctxOf(request), params(request).model);
      return live ? send(reply, request, `Canary of ${params(request).model}`, live, '/ui/canaries') : notFound(reply, request, `No canary of "${params(request).model}"`);
    });
    get('/ui/canaries/:model/live', 'run.read', async (request, reply) => {
      const live = await canaryLive(options, ctxOf(request), params(request).model);
      return live ? reply.type('text/html; charset=utf-8').send(live.value) : reply.status(404).send('');
    });
    // The report a completed canary run wrote: found through that run's result, so only canary reports are reachable here.
    get('/ui/canaries/:model/runs/:runId/report', 'run.read', async (request, reply) => {
      const { model, runId } = params(request);
      authorize(request.principal, 'model.read', { model });
      const ref = options.artifacts && /^[0-9a-zA-Z-]{1,100}$/.test(runId) ? await canaryReportRef(options.slipway, model, runId) : undefined;
      if (!ref || !options.artifacts) return notFound(reply, request, `No canary report for run ${runId} of "${model}" (it is written when a canary completes)`);
      const file = await options.artifacts.localPath(ref);
      reply.header('content-security-policy', "default-src 'none'; sandbox");
      reply.header('cache-control', 'private, max-age=31536000, immutable');
      return reply.type('application/json; charset=utf-8').send(createReadStream(file));
    });
    const canaryModel = (r: FastifyRequest): Resource => ({ model: params(r).model, alias: 'champion' });
    for (const decision of ['approve', 'reject'] as const) {
      post(`/ui/canaries/:model/${decision}`, decision === 'approve' ? { action: 'run.approve', resource: canaryModel } : { action: 'run.reject' }, async (request, reply) => {
        const { model } = params(request);
        const why = reason(request);
        await auditAround(options.audit, request, { action: `canary.${decision}`, target: `run:canary-${model}`, reason: why, details: { via: 'console' } }, () =>
          options.slipway[decision](`canary-${model}`, { approver: actor(request), reason: why }, request.principal).catch(updateRefusal),
        );
        return reply.redirect(`/ui/canaries/${encodeURIComponent(model)}`, 303);
      });
    }
    post('/ui/canaries/:model/abort', { action: 'deployment.change', resource: canaryModel }, async (request, reply) => {
      const { model } = params(request);
      const why = reason(request);
      await auditAround(options.audit, request, { action: 'canary.abort', target: `run:canary-${model}`, reason: why, details: { via: 'console' } }, () =>
        options.slipway.abortCanary(model, { by: actor(request), reason: why }, request.principal),
      );
      return reply.redirect(`/ui/canaries/${encodeURIComponent(model)}`, 303);
    });

    get('/ui/data', 'model.read', async (request, reply) => send(reply, request, 'Data', await dataPage(options, reports, ctxOf(request), query(request).model), '/ui/data'));
    // As POST /v1/models/:model/quarantine/:digest/{release,discard}: granted like the model's champion alias;
    // the store records the decision and its audit entry (data.release / data.discard) in one transaction.
    for (const decision of ['release', 'discard'] as const) {
      post(`/ui/data/:model/quarantine/:digest/${decision}`, { action: 'data.release', resource: (r) => ({ model: params(r).model, alias: 'champion' }) }, async (request, reply) => {
        const { model, digest } = params(request);
        if (!options.quarantine) return notFound(reply, request, 'Quarantine is not configured on this API');
        await options.quarantine.decide({ model, dataDigest: digest, decision, actor: actor(request), reason: reason(request), origin: `console ${request.ip}` });
        return reply.redirect(`/ui/data?model=${encodeURIComponent(model)}`, 303);
      });
    }
    get('/ui/serving', 'model.read', async (request, reply) => send(reply, request, 'Serving', await servingPage(options), '/ui/serving'));
    get('/ui/training', 'run.read', async (request, reply) => send(reply, request, 'Continuous training', await trainingPage(options), '/ui/training'));
    const auditFilters = (request: FastifyRequest) => {
      const q = query(request);
      return { actor: q.actor, action: q.action, targetPrefix: q.targetPrefix, before: q.before ? Number(q.before) : undefined };
    };
    get('/ui/audit', 'audit.read', async (request, reply) => send(reply, request, 'Audit', await auditPage(options.audit, ctxOf(request), auditFilters(request)), '/ui/audit'));
    get('/ui/audit/verify', 'audit.read', async (request, reply) =>
      send(reply, request, 'Audit', await auditPage(options.audit, ctxOf(request), auditFilters(request), await options.audit.verify()), '/ui/audit'),
    );
    get('/ui/artifacts/:sha256', 'model.read', async (request, reply) => {
      const { sha256 } = params(request);
      if (!options.artifacts || !/^[0-9a-f]{64}$/.test(sha256)) return notFound(reply, request, `No artifact ${sha256}`);
      return sendArtifact({ registry: options.registry, artifacts: options.artifacts }, request, reply, sha256);
    });
  };

/** The canary report artifact of a completed `canary-<model>` run, or undefined. */
async function canaryReportRef(slipway: ConsoleDeps['slipway'], model: string, runId: string): Promise<ArtifactRef | undefined> {
  const handle = slipway.temporal.workflow.getHandle(`canary-${model}`, runId);
  try {
    const described = await handle.describe();
    if (described.type !== 'canary' || described.status.name !== 'COMPLETED') return undefined;
    const result = (await handle.result()) as { artifacts?: { canaryReport?: ArtifactRef } } | undefined;
    const ref = result?.artifacts?.canaryReport;
    return ref && /^[0-9a-f]{64}$/.test(ref.sha256) ? ref : undefined;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

function loginPage(failed: boolean): string {
  return page(
    undefined,
    'Sign in',
    html`${failed ? html`<p class="bad" role="alert">That token was not accepted.</p>` : ''}
<form method="post" action="/ui/login" class="action"><label for="token">API token</label><input id="token" name="token" type="password" autocomplete="off" required size="50">
<button type="submit">Sign in</button></form><p class="muted">Create a token with <code>slipway tokens create</code>. It is kept in an httpOnly cookie for this site only.</p>`,
  );
}

