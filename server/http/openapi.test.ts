// The OpenAPI document is generated from the schemas: it must be valid OpenAPI 3.1, name exactly
// the routes the app registers, describe every error code, and the bodies the service really
// answers must match their schemas.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { z } from 'zod';
import { API_ERRORS } from '../../protocol/api.ts';
import * as S from '../../protocol/schemas.ts';
import { DEMO, RAILWAY, createSession, startTestServer, tokenFor } from '../../test-support/harness.ts';
import { createApp } from './app.ts';

const server = await startTestServer();
after(() => server.close());

const document = (await server.api('GET', '/openapi.json')).body as {
  paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>>;
};

interface Layer {
  route?: { path: string; methods: Record<string, boolean> };
  handle: { stack?: Layer[] };
  rawPath?: string;
  name: string;
}

/** `METHOD /path` for every route the Express app registers (`:id` → `{id}`; a static mount → `{file}` under it). */
function registeredRoutes(): string[] {
  const app = createApp(server.services) as unknown as { router: { stack: Layer[] } };
  const found: string[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const path = (prefix && layer.route.path === '/' ? prefix : prefix + layer.route.path).replace(/:(\w+)/g, '{$1}');
        for (const method of Object.keys(layer.route.methods).filter((m) => m !== '_all')) found.push(`${method.toUpperCase()} ${path}`);
      } else if (layer.handle.stack) walk(layer.handle.stack, prefix + (layer.rawPath && layer.rawPath !== '/' ? layer.rawPath : ''));
      else if (layer.name === 'serveStatic' && layer.rawPath) found.push(`GET ${prefix}${layer.rawPath}/{file}`);
    }
  };
  walk(app.router.stack, '');
  return found.sort();
}

describe('OpenAPI document', () => {
  test('is valid OpenAPI 3.1 by the specification’s own schema', async () => {
    const result = await new Validator().validate(document as Parameters<Validator['validate']>[0]);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 2));
    assert.equal((document as { openapi?: string }).openapi, '3.1.0');
  });

  test('names every route the app registers, and no route it does not', () => {
    const documented = Object.entries(document.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path}`))
      .sort();
    assert.deepEqual(documented, registeredRoutes());
  });

  test('every error code the API has is documented on some route, at its status', () => {
    const described = new Set<string>();
    for (const methods of Object.values(document.paths)) {
      for (const op of Object.values(methods)) {
        for (const [status, response] of Object.entries(op.responses)) {
          for (const [, code] of response.description.matchAll(/`(\w+)`/g)) {
            if (code && code in API_ERRORS) {
              assert.equal(String(API_ERRORS[code as keyof typeof API_ERRORS]), status, `${code} documented under ${status}`);
              described.add(code);
            }
          }
        }
      }
    }
    assert.deepEqual([...described].sort(), Object.keys(API_ERRORS).sort());
  });

  test('the answers of a real flow match the schemas the document gives for them', async () => {
    const created = await server.api('POST', '/v1/sessions', { apiKey: DEMO.railway.apiKey, json: { nonce: 'n-1' } });
    S.createSessionResponse.parse(created.body);
    S.sessionContext.parse((await server.api('GET', `/v1/sessions/${created.body.session_id}/context`)).body);
    const { sessionId, verify } = await tokenFor(server, DEMO.asha);
    S.verifyOtpResponse.parse(verify.body);
    S.sessionView.parse((await server.api('GET', `/v1/sessions/${sessionId}`, { apiKey: DEMO.railway.apiKey })).body);
    const refused = await server.api('GET', `/v1/sessions/${await createSession(server, RAILWAY)}/context`, { apiKey: DEMO.hotel.apiKey });
    S.apiErrorBody.parse(refused.body);
    // The schemas are strict where the API is: an unknown field is refused by the same schema.
    assert.throws(() => S.createSessionRequest.parse({ surprise: 1 }), z.ZodError);
  });

  test('/docs/ is a readable page of the same document, with nothing to run', async () => {
    const page = await server.api('GET', '/docs/');
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(page.headers.get('content-security-policy') ?? '', /default-src 'none'; style-src 'sha256-/);
    assert.doesNotMatch(page.text, /<script/i);
    for (const path of Object.keys(document.paths)) assert.ok(page.text.includes(path.replace(/&/g, '&#38;')), `${path} on the page`);
    assert.match(page.text, /id="schema-CreateSessionRequest"/);
  });
});
