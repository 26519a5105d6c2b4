import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { installAuthorization } from './authorization';

describe('API route authorisation', () => {
  it('refuses to register a route that names no action, so no endpoint is open by accident', async () => {
    const app = Fastify();
    installAuthorization(app, {});
    expect(() => app.get('/v1/open', async () => ({}))).toThrow(/names no action in config\.action/);
    expect(() => app.get('/v1/typo', { config: { action: 'run.destroy' as never } }, async () => ({}))).toThrow(/names no action/);
    expect(() => app.get('/v1/ok', { config: { action: 'run.read' } }, async () => ({}))).not.toThrow();
    await app.close();
  });
});
