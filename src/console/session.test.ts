import type { FastifyRequest } from 'fastify';
import { describe, expect, it } from 'vitest';
import { markdownToHtml } from './markdown';
import { ConsoleSessions, parseCookies, sameOrigin } from './session';

const request = (headers: Record<string, string>): FastifyRequest => ({ headers }) as unknown as FastifyRequest;

describe('console sessions', () => {
  const sessions = new ConsoleSessions(Buffer.alloc(32, 1));
  const alice = request({ cookie: 'other=1; slipway_session=slw_alice', host: 'h:1' });
  const bob = request({ cookie: 'slipway_session=slw_bob', host: 'h:1' });

  it('reads the token from the session cookie only', () => {
    expect(sessions.token(alice)).toBe('slw_alice');
    expect(sessions.token(request({ authorization: 'Bearer slw_x' }))).toBeUndefined();
  });

  it("accepts a session's own CSRF token and refuses another session's, a forged one and none", () => {
    expect(sessions.checkCsrf(alice, sessions.csrf(alice))).toBe(true);
    expect(sessions.checkCsrf(alice, sessions.csrf(bob))).toBe(false);
    expect(sessions.checkCsrf(alice, 'forged')).toBe(false);
    expect(sessions.checkCsrf(alice, undefined)).toBe(false);
    expect(new ConsoleSessions(Buffer.alloc(32, 2)).checkCsrf(alice, sessions.csrf(alice))).toBe(false);
  });

  it('treats a request from another origin as cross-site', () => {
    expect(sameOrigin(request({ host: 'h:1', origin: 'http://h:1' }))).toBe(true);
    expect(sameOrigin(request({ host: 'h:1', origin: 'http://evil:1' }))).toBe(false);
    expect(sameOrigin(request({ host: 'h:1', origin: 'null' }))).toBe(false);
  });

  it('ignores malformed cookies', () => {
    expect(parseCookies('a=%E0%A4%A; b=2')).toEqual({ b: '2' });
  });
});

describe('model card markdown', () => {
  it('renders headings, tables and lists and escapes everything else', () => {
    const out = markdownToHtml('# Card <script>\n\n| a | b |\n|---|---|\n| `x` | **y** |\n\n- one\n- <b>two</b>\n\ntext & more');
    expect(out).toContain('<h2>Card &lt;script&gt;</h2>');
    expect(out).toContain('<td><code>x</code></td><td><strong>y</strong></td>');
    expect(out).toContain('<li>&lt;b&gt;two&lt;/b&gt;</li>');
    expect(out).toContain('<p>text &amp; more</p>');
    expect(out).not.toContain('<script>');
  });
});
