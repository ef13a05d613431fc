// The OpenAPI document and /docs: every served route documented, schemas from the handlers' zod, docs assets served.
import { afterAll, beforeAll, describe, expect, test } from 'bun:test';
import { z } from 'zod';
import { createApp } from '../src/app.tsx';
import { decrypt, encrypt, ENVELOPE_SHAPE, envelopeMaxLength, importRoomKey, isEnvelope, newRoomKey } from '../src/e2e/envelope.ts';
import {
  createRoomSchema,
  EncryptedContent,
  EncryptedRoomName,
  LIMITS,
  PostEncryptedSchema,
  PostMessageSchema,
} from '../src/rooms/schema.ts';
import { openapiDocument } from '../src/web/openapi.ts';
import { startTestServer, type TestServer } from './helpers/server.ts';
import { connect } from './helpers/ws.ts';

type Json = Record<string, any>;
const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options', 'trace'];

let running: TestServer;
let doc: Json;

beforeAll(async () => {
  running = await startTestServer();
  const res = await fetch(`${running.origin}/openapi.json`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/json');
  doc = await res.json();
});
afterAll(() => running?.stop());

/** Follows a local `$ref` (`#/components/...`). */
function deref(node: Json): Json {
  let out: Json = node;
  while (typeof out.$ref === 'string') {
    const target: Json | undefined = (out.$ref as string)
      .replace(/^#\//, '')
      .split('/')
      .reduce((acc: Json | undefined, key: string) => acc?.[key.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
    if (!target) throw new Error(`unresolved ${node.$ref}`);
    out = target;
  }
  return out;
}

/** `METHOD /path` for every operation in the document. */
function documentedRoutes(): Set<string> {
  const out = new Set<string>();
  for (const [path, item] of Object.entries(doc.paths as Json)) {
    for (const method of METHODS) if (item[method]) out.add(`${method.toUpperCase()} ${path}`);
  }
  return out;
}

/** Hono's `/rooms/:id` and `/static/:name{regex}` → OpenAPI's `/rooms/{id}`, `/static/{name}`. */
const toOpenApiPath = (path: string) => path.replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, '{$1}');

function servedRoutes(): Set<string> {
  const app = createApp(running.deps);
  const out = new Set<string>();
  for (const r of app.routes) {
    if (r.method === 'ALL' || r.path === '/*') continue; // middleware
    out.add(`${r.method} ${toOpenApiPath(r.path)}`);
  }
  return out;
}

describe('GET /openapi.json', () => {
  test('is an OpenAPI 3.x document', () => {
    expect(doc.openapi).toMatch(/^3\.\d+\.\d+$/);
    expect(doc.info.title).toBe('mayfly API');
    expect(typeof doc.info.version).toBe('string');
    expect(Object.keys(doc.paths).length).toBeGreaterThan(10);
    expect(doc.servers?.[0]?.url).toBe(running.origin);
  });

  test('documents every route the app serves', () => {
    const served = servedRoutes();
    expect(served.size).toBeGreaterThan(15);
    const documented = documentedRoutes();
    const missing = [...served].filter((r) => !documented.has(r));
    expect(missing).toEqual([]);
  });

  test('documents nothing that is not served, except the optional accounts routes still to come', () => {
    const served = servedRoutes();
    for (const route of documentedRoutes()) {
      if (served.has(route)) continue;
      const [method, path] = route.split(' ') as [string, string];
      const op = doc.paths[path][method.toLowerCase()];
      expect({ route, tags: op.tags }).toEqual({ route, tags: ['accounts'] });
      expect(op.description).toContain('Optional accounts');
    }
  });

  test('every operation has responses, and every $ref resolves', () => {
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      for (const method of METHODS) {
        if (!item[method]) continue;
        expect({ path, method, n: Object.keys(item[method].responses ?? {}).length > 0 }).toEqual({ path, method, n: true });
      }
    }
    const refs: string[] = [];
    const walk = (n: unknown) => {
      if (Array.isArray(n)) n.forEach(walk);
      else if (n && typeof n === 'object')
        for (const [k, v] of Object.entries(n)) k === '$ref' && typeof v === 'string' ? refs.push(v) : walk(v);
    };
    walk(doc);
    expect(refs.length).toBeGreaterThan(10);
    for (const r of refs) expect(() => deref({ $ref: r })).not.toThrow();
  });

  test('statuses of the contract (docs/api.md) are documented', () => {
    const statuses = (path: string, method: string) => Object.keys(doc.paths[path][method].responses);
    expect(statuses('/rooms', 'post')).toEqual(expect.arrayContaining(['201', '303', '400', '413', '429', '503']));
    expect(statuses('/rooms/{id}', 'get')).toEqual(expect.arrayContaining(['200', '404']));
    expect(statuses('/rooms/{id}/join', 'post')).toEqual(expect.arrayContaining(['200', '303', '401', '404', '409']));
    expect(statuses('/rooms/{id}/messages', 'post')).toEqual(expect.arrayContaining(['201', '303', '401']));
    expect(statuses('/rooms/{id}', 'delete')).toEqual(expect.arrayContaining(['204', '403', '404']));
    expect(statuses('/readyz', 'get')).toEqual(expect.arrayContaining(['200', '503']));
    expect(statuses('/register', 'post')).toEqual(expect.arrayContaining(['201', '409']));
    expect(statuses('/login', 'post')).toEqual(expect.arrayContaining(['200', '401']));
    expect(statuses('/me', 'get')).toEqual(expect.arrayContaining(['200', '401']));
  });

  test('security schemes: bearer tokens and the mayfly_member cookie', () => {
    const schemes = doc.components.securitySchemes;
    expect(schemes.memberToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.ownerToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(schemes.memberCookie).toMatchObject({ type: 'apiKey', in: 'cookie', name: 'mayfly_member' });
    expect(doc.paths['/rooms/{id}'].delete.security).toContainEqual({ ownerToken: [] });
  });

  test('the WebSocket routes describe the upgrade, query parameters, close codes and events', () => {
    const ws = doc.paths['/rooms/{id}/ws'].get;
    const params = ws.parameters.map((p: Json) => p.name);
    expect(params).toEqual(expect.arrayContaining(['id', 'token', 'username', 'display_name', 'since']));
    expect(Object.keys(ws.responses)).toContain('101');
    for (const code of ['4401', '4403', '4404', '4409', '4410', '4423', '4429', '1012']) {
      expect(ws['x-websocket'].closeCodes[code]).toBeString();
      expect(ws.description).toContain(code);
    }
    const events = deref(ws['x-websocket'].serverEvents).oneOf.map((r: Json) => deref(r));
    const types = events.flatMap((e: Json) => {
      const t = deref(e.allOf?.[0] ?? e).properties.type;
      return t.const ? [t.const] : t.enum;
    });
    expect(types.sort()).toEqual(
      [
        'error',
        'history',
        'message',
        'room_destroyed',
        'room_expired',
        'typing',
        'user_joined',
        'user_left',
        // The owner's controls (issue 14); join_request and join_request_closed go to the owner's sockets only.
        'user_kicked',
        'room_locked',
        'room_unlocked',
        'approval_changed',
        'room_extended',
        'owner_changed',
        'join_request',
        'join_request_closed',
      ].sort(),
    );
    const frames = deref(ws['x-websocket'].clientFrames).oneOf.map((f: Json) => f.properties.type.const ?? f.properties.type.enum?.[0]);
    expect(frames.sort()).toEqual(['approval', 'approve', 'deny', 'extend', 'kick', 'lock', 'message', 'owner', 'typing', 'unlock']);
    for (const frame of ['kick', 'lock', 'unlock', 'extend', 'owner', 'approve', 'deny', 'approval']) {
      expect(ws.description).toContain(`{"type":"${frame}"`);
    }
  });
});

describe('this round’s contract', () => {
  test('GET /metrics: text/plain, 401 with METRICS_TOKEN, 404 when off', () => {
    const op = doc.paths['/metrics'].get;
    expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '401', '404']));
    expect(Object.keys(op.responses['200'].content)).toEqual(['text/plain']);
    expect(op.description).toContain('METRICS_TOKEN');
    expect(op.description).toContain('METRICS=off');
    expect(doc.components.securitySchemes.metricsToken).toMatchObject({ type: 'http', scheme: 'bearer' });
  });

  test('every 429 and 503 error response carries Retry-After', () => {
    let seen = 0;
    for (const [path, item] of Object.entries(doc.paths as Json)) {
      if (path === '/readyz') continue; // a probe's answer, not an error
      for (const method of METHODS) {
        for (const [status, res] of Object.entries((item[method]?.responses ?? {}) as Json)) {
          if (status !== '429' && status !== '503') continue;
          seen++;
          expect(res.headers?.['Retry-After']).toBeDefined();
        }
      }
    }
    expect(seen).toBeGreaterThan(10);
  });

  test('the new error codes are documented where they happen', () => {
    const codes = (path: string, method: string, status: string) =>
      Object.keys(doc.paths[path][method].responses[status].content['application/json'].examples);
    expect(codes('/rooms/{id}/join', 'post', '429')).toEqual(
      expect.arrayContaining(['rate_limited', 'password_guessing', 'too_many_password_checks']),
    );
    expect(codes('/login', 'post', '429')).toEqual(expect.arrayContaining(['too_many_attempts', 'too_many_password_checks']));
    expect(codes('/login', 'post', '503')).toEqual(expect.arrayContaining(['storage_unavailable', 'busy']));
    expect(codes('/rooms/{id}/leave', 'post', '503')).toContain('storage_unavailable');
    expect(codes('/me', 'get', '503')).toContain('storage_unavailable');
    const all = deref(doc.components.schemas.Error).properties.error.properties.code.examples;
    expect(all).toEqual(expect.arrayContaining(['too_many_password_checks', 'busy', 'storage_busy']));
  });

  test('close codes: 4401 after leave, 4429 for too many sockets; names are NFKC with lookalikes clashing', () => {
    const ws = doc.paths['/rooms/{id}/ws'].get;
    expect(ws['x-websocket'].closeCodes['4401']).toContain('left the room');
    expect(ws['x-websocket'].closeCodes['4429']).toContain('too many sockets');
    const join = deref(doc.paths['/rooms/{id}/join'].post.requestBody.content['application/json'].schema);
    expect(join.properties.username.description).toContain('NFKC');
    expect(join.properties.username.description).not.toContain('case-insensitive');
    expect(doc.info.description).toContain('Retry-After');
  });
});

describe('the owner’s controls (issue 14)', () => {
  const OWNER_ROUTES: Array<[string, string]> = [
    ['/rooms/{id}/kick', 'post'],
    ['/rooms/{id}/lock', 'post'],
    ['/rooms/{id}/unlock', 'post'],
    ['/rooms/{id}/approval', 'post'],
    ['/rooms/{id}/extend', 'post'],
    ['/rooms/{id}/owner', 'post'],
    ['/rooms/{id}/requests', 'get'],
    ['/rooms/{id}/requests/{request_id}/approve', 'post'],
    ['/rooms/{id}/requests/{request_id}/deny', 'post'],
  ];

  test('owner routes: the owner’s member token, the owner_token or the cookie; 403 forbidden otherwise', () => {
    for (const [path, method] of OWNER_ROUTES) {
      const op = doc.paths[path][method];
      expect({ path, security: op.security }).toEqual({
        path,
        security: expect.arrayContaining([{ memberToken: [] }, { ownerToken: [] }, { memberCookie: [] }]),
      });
      expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(['200', '303', '403', '404', '503']));
      expect(Object.keys(op.responses['403'].content['application/json'].examples)).toContain('forbidden');
    }
  });

  test('the new error codes are documented where they happen', () => {
    const codes = (path: string, method: string, status: string) =>
      Object.keys(doc.paths[path][method].responses[status].content['application/json'].examples);
    expect(codes('/rooms/{id}/kick', 'post', '400')).toContain('invalid_target');
    expect(codes('/rooms/{id}/kick', 'post', '404')).toContain('member_not_found');
    expect(codes('/rooms/{id}/owner', 'post', '400')).toContain('invalid_target');
    expect(codes('/rooms/{id}/owner', 'post', '404')).toContain('member_not_found');
    expect(codes('/rooms/{id}/extend', 'post', '409')).toContain('extend_limit');
    expect(codes('/rooms/{id}/requests/{request_id}/approve', 'post', '404')).toContain('request_not_found');
    expect(codes('/rooms/{id}/requests/{request_id}/approve', 'post', '409')).toEqual(expect.arrayContaining(['room_full', 'name_taken']));
    expect(codes('/rooms/{id}/requests/{request_id}/approve', 'post', '403')).toContain('name_banned');
    expect(codes('/rooms/{id}/requests/{request_id}/deny', 'post', '404')).toContain('request_not_found');
    expect(codes('/rooms/{id}/join', 'post', '423')).toContain('room_locked');
    expect(codes('/rooms/{id}/join', 'post', '403')).toContain('name_banned');
    expect(codes('/rooms/{id}/join', 'post', '429')).toContain('too_many_requests');
    for (const method of ['get', 'post']) {
      expect(codes('/rooms/{id}/messages', method, '403')).toEqual(
        expect.arrayContaining(['pending_approval', 'join_denied', 'request_expired']),
      );
    }
    expect(Object.keys(doc.paths['/rooms/{id}/join'].post.responses)).toContain('202');
    expect(Object.keys(doc.paths['/rooms/{id}'].get.responses)).toEqual(expect.arrayContaining(['403', '423']));
  });

  test('close codes 4403 (removed by the owner, barred, pending) and 4423 (locked)', () => {
    const closeCodes = doc.paths['/rooms/{id}/ws'].get['x-websocket'].closeCodes;
    expect(closeCodes['4403']).toContain('removed by the owner');
    expect(closeCodes['4403']).toContain('name_banned');
    expect(closeCodes['4403']).toContain('pending_approval');
    expect(closeCodes['4423']).toContain('locked');
    expect(doc.paths['/rooms/{id}/live'].get['x-websocket'].closeCodes['4423']).toBeString();
  });

  test('bodies: approve_joins on creation, the owner routes’ JSON and form bodies', () => {
    const create = deref(doc.paths['/rooms'].post.requestBody.content['application/json'].schema);
    expect(create.properties.approve_joins).toMatchObject({ type: 'boolean' });
    const bodyOf = (path: string, type: string) => deref(doc.paths[path].post.requestBody.content[type].schema);
    expect(bodyOf('/rooms/{id}/kick', 'application/json')).toMatchObject({ required: ['username'] });
    expect(bodyOf('/rooms/{id}/owner', 'application/json')).toMatchObject({ required: ['username'] });
    expect(bodyOf('/rooms/{id}/extend', 'application/json').properties.seconds).toMatchObject({
      type: 'integer',
      minimum: 1,
      maximum: 2592000,
    });
    expect(bodyOf('/rooms/{id}/extend', 'application/x-www-form-urlencoded').properties.seconds).toMatchObject({ type: 'string' });
    expect(bodyOf('/rooms/{id}/approval', 'application/json').properties.approve_joins).toMatchObject({ type: 'boolean' });
    expect(bodyOf('/rooms/{id}/approval', 'application/x-www-form-urlencoded').properties.approve_joins.enum).toEqual(
      expect.arrayContaining(['on', 'off']),
    );
  });
});

describe('schemas come from the handlers’ zod schemas', () => {
  test('POST /rooms JSON body', () => {
    const schema = deref(doc.paths['/rooms'].post.requestBody.content['application/json'].schema);
    expect(schema.required).toEqual(expect.arrayContaining(['name', 'owner_name']));
    expect(schema.required).not.toContain('password');
    expect(schema.properties.max_users).toMatchObject({ type: 'integer', minimum: LIMITS.minUsers, maximum: LIMITS.maxUsers });
    expect(schema.properties.max_users.minimum).toBe(2);
    expect(schema.properties.max_users.maximum).toBe(1000);
    expect(schema.properties.expiry_seconds).toMatchObject({ minimum: 5, maximum: running.deps.config.MAX_EXPIRY_SECONDS });
    // A plain name, or in an encrypted room (e2e, issue 15) its envelope.
    expect(schema.properties.name).toMatchObject({ type: 'string' });
    expect(schema.properties.name.anyOf).toEqual([
      expect.objectContaining({ minLength: 1, maxLength: LIMITS.roomName }),
      { $ref: '#/components/schemas/EncryptedRoomName' },
    ]);

    // Same constraints as zod's own JSON Schema for the handler's schema (the document only adds descriptions and defaults).
    const fromZod = JSON.parse(
      JSON.stringify(z.toJSONSchema(createRoomSchema(running.deps.config.MAX_EXPIRY_SECONDS), { io: 'input', unrepresentable: 'any' })),
    );
    expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(fromZod.properties).sort());
    for (const [key, want] of Object.entries(fromZod.properties as Json)) expect(schema.properties[key]).toMatchObject(want as Json);
    expect(schema.required.sort()).toEqual([...fromZod.required].sort());
  });

  test('POST /rooms/{id}/messages and join bodies', () => {
    // Plain text, or in an encrypted room (e2e, issue 15) an envelope: each the handler's own schema.
    const bodies = doc.paths['/rooms/{id}/messages'].post.requestBody.content['application/json'].schema.anyOf.map(deref);
    for (const [i, handler] of [PostMessageSchema, PostEncryptedSchema].entries()) {
      const { $schema: _, ...want } = JSON.parse(JSON.stringify(z.toJSONSchema(handler, { io: 'input' })));
      expect(bodies[i]).toMatchObject(want);
    }
    const join = deref(doc.paths['/rooms/{id}/join'].post.requestBody.content['application/json'].schema);
    expect(Object.keys(join.properties)).toEqual(expect.arrayContaining(['username', 'display_name', 'password']));
    expect(join.properties.username).toMatchObject({ minLength: 1, maxLength: LIMITS.username });
  });

  test('GET /rooms/{id}/messages query parameters', () => {
    const params = doc.paths['/rooms/{id}/messages'].get.parameters as Json[];
    const byName = Object.fromEntries(params.map((p) => [p.name, p]));
    expect(Object.keys(byName).sort()).toEqual(['limit', 'offset', 'since']);
    expect(byName.limit!.schema).toMatchObject({ type: 'integer', minimum: 1 });
  });

  test('openapiDocument() builds without a server', () => {
    const offline = openapiDocument();
    expect(offline.openapi).toBe(doc.openapi);
    expect(offline.servers).toBeUndefined();
    expect(Object.keys(offline.paths as Json).sort()).toEqual(Object.keys(doc.paths).sort());
  });
});

/** The keys of a real body are documented, and every required key is there. */
function conforms(body: Json, schemaRef: Json) {
  const schema = deref(schemaRef);
  const props = Object.keys(schema.properties);
  expect(Object.keys(body).filter((k) => !props.includes(k))).toEqual([]);
  expect((schema.required ?? []).filter((k: string) => !(k in body))).toEqual([]);
}
const schemaOf = (path: string, method: string, status: string) =>
  doc.paths[path][method].responses[status].content['application/json'].schema;
const J = { 'content-type': 'application/json' };

/** Whether a string satisfies a string schema of the document (type, lengths, pattern, allOf, anyOf, $ref). */
function fits(value: string, node: Json): boolean {
  const s = deref(node);
  if (s.type !== undefined && s.type !== 'string') return false;
  if (s.minLength !== undefined && value.length < s.minLength) return false;
  if (s.maxLength !== undefined && value.length > s.maxLength) return false;
  if (s.pattern !== undefined && !new RegExp(s.pattern).test(value)) return false;
  if (s.allOf && !s.allOf.every((n: Json) => fits(value, n))) return false;
  if (s.anyOf && !s.anyOf.some((n: Json) => fits(value, n))) return false;
  return true;
}

describe('response schemas match what the server returns', () => {
  test('room, join, message, history, error and owner-control bodies', async () => {
    const o = running.origin;
    let res = await fetch(`${o}/rooms`, {
      method: 'POST',
      headers: J,
      body: JSON.stringify({ name: 'Docs', owner_name: 'ada', password: 'pw' }),
    });
    expect(res.status).toBe(201);
    const room = await res.json();
    conforms(room, schemaOf('/rooms', 'post', '201'));

    res = await fetch(`${o}/rooms/${room.room_id}`, { headers: { accept: 'application/json' } });
    conforms(await res.json(), schemaOf('/rooms/{id}', 'get', '200')); // public view of a password room

    res = await fetch(`${o}/rooms/${room.room_id}/join`, {
      method: 'POST',
      headers: J,
      body: JSON.stringify({ display_name: 'grace', password: 'pw' }),
    });
    expect(res.status).toBe(200);
    const joined = await res.json();
    conforms(joined, schemaOf('/rooms/{id}/join', 'post', '200'));
    const auth = { authorization: `Bearer ${joined.token}` };

    res = await fetch(`${o}/rooms/${room.room_id}`, { headers: { accept: 'application/json', ...auth } });
    conforms(await res.json(), schemaOf('/rooms/{id}', 'get', '200'));

    res = await fetch(`${o}/rooms/${room.room_id}/messages`, {
      method: 'POST',
      headers: { ...J, ...auth },
      body: JSON.stringify({ content: 'hi' }),
    });
    expect(res.status).toBe(201);
    conforms(await res.json(), schemaOf('/rooms/{id}/messages', 'post', '201'));

    res = await fetch(`${o}/rooms/${room.room_id}/messages?limit=10`, { headers: auth });
    const history = await res.json();
    conforms(history, schemaOf('/rooms/{id}/messages', 'get', '200'));
    conforms(history.messages[0], deref(schemaOf('/rooms/{id}/messages', 'get', '200')).properties.messages.items);

    res = await fetch(`${o}/rooms`, { method: 'POST', headers: J, body: JSON.stringify({ name: '', owner_name: 'x' }) });
    expect(res.status).toBe(400);
    const err = await res.json();
    conforms(err, schemaOf('/rooms', 'post', '400'));
    conforms(err.error, deref(schemaOf('/rooms', 'post', '400')).properties.error);

    // The owner's controls (issue 14): an API room, its owner_token, two members.
    res = await fetch(`${o}/rooms`, { method: 'POST', headers: J, body: JSON.stringify({ name: 'Owned', owner_name: 'ada' }) });
    expect(res.status).toBe(201);
    const owned = await res.json();
    const base = `${o}/rooms/${owned.room_id}`;
    const bearer = { authorization: `Bearer ${owned.owner_token}` }; // body-less routes: no body, no Content-Type
    const owner = { ...J, ...bearer };
    const members: Record<string, string> = {};
    for (const username of ['grace', 'mallory']) {
      res = await fetch(`${base}/join`, { method: 'POST', headers: J, body: JSON.stringify({ username }) });
      expect(res.status).toBe(200);
      members[username] = (await res.json()).token;
    }

    res = await fetch(`${base}/kick`, { method: 'POST', headers: owner, body: JSON.stringify({ username: 'mallory' }) });
    expect(res.status).toBe(200);
    conforms(await res.json(), schemaOf('/rooms/{id}/kick', 'post', '200'));
    res = await fetch(`${base}/kick`, { method: 'POST', headers: owner, body: JSON.stringify({ username: 'nobody' }) });
    expect(res.status).toBe(404);
    expect((await res.json()).error.code).toBe('member_not_found');

    for (const verb of ['lock', 'unlock']) {
      res = await fetch(`${base}/${verb}`, { method: 'POST', headers: bearer });
      expect(res.status).toBe(200);
      conforms(await res.json(), schemaOf(`/rooms/{id}/${verb}`, 'post', '200'));
    }

    res = await fetch(`${base}/extend`, { method: 'POST', headers: owner, body: JSON.stringify({ seconds: 60 }) });
    expect(res.status).toBe(200);
    conforms(await res.json(), schemaOf('/rooms/{id}/extend', 'post', '200'));

    res = await fetch(`${base}/approval`, { method: 'POST', headers: owner, body: JSON.stringify({ approve_joins: true }) });
    expect(res.status).toBe(200);
    conforms(await res.json(), schemaOf('/rooms/{id}/approval', 'post', '200'));

    res = await fetch(`${base}/join`, { method: 'POST', headers: J, body: JSON.stringify({ username: 'carol' }) });
    expect(res.status).toBe(202);
    const asked = await res.json();
    conforms(asked, schemaOf('/rooms/{id}/join', 'post', '202'));

    res = await fetch(asked.status_url, { headers: { authorization: `Bearer ${asked.token}` } });
    expect(res.status).toBe(200);
    conforms(await res.json(), schemaOf('/rooms/{id}/requests/{request_id}', 'get', '200'));

    res = await fetch(`${base}/requests`, { headers: bearer });
    expect(res.status).toBe(200);
    const requests = await res.json();
    conforms(requests, schemaOf('/rooms/{id}/requests', 'get', '200'));
    expect(requests.requests).toHaveLength(1);
    conforms(requests.requests[0], deref(schemaOf('/rooms/{id}/requests', 'get', '200')).properties.requests.items);

    res = await fetch(`${base}/requests/${asked.request_id}/approve`, { method: 'POST', headers: bearer });
    expect(res.status).toBe(200);
    conforms(await res.json(), schemaOf('/rooms/{id}/requests/{request_id}/approve', 'post', '200'));

    res = await fetch(asked.status_url, { headers: { authorization: `Bearer ${asked.token}` } });
    expect(res.status).toBe(200);
    conforms(await res.json(), schemaOf('/rooms/{id}/requests/{request_id}', 'get', '200')); // approved: the token is a member's now

    res = await fetch(`${base}/join`, { method: 'POST', headers: J, body: JSON.stringify({ username: 'dave' }) });
    expect(res.status).toBe(202);
    const dave = await res.json();
    res = await fetch(`${base}/requests/${dave.request_id}/deny`, { method: 'POST', headers: { ...J, ...bearer }, body: '{}' });
    expect(res.status).toBe(200);
    conforms(await res.json(), schemaOf('/rooms/{id}/requests/{request_id}/deny', 'post', '200'));

    res = await fetch(`${base}/owner`, { method: 'POST', headers: owner, body: JSON.stringify({ username: 'grace' }) });
    expect(res.status).toBe(200);
    conforms(await res.json(), schemaOf('/rooms/{id}/owner', 'post', '200'));
    res = await fetch(`${base}/lock`, { method: 'POST', headers: bearer }); // the owner_token is retired
    expect(res.status).toBe(403);
    conforms(await res.json(), schemaOf('/rooms/{id}/lock', 'post', '403'));

    res = await fetch(base, { headers: { accept: 'application/json', authorization: `Bearer ${members.grace}` } });
    const full = await res.json();
    conforms(full, schemaOf('/rooms/{id}', 'get', '200'));
    expect(full).toMatchObject({ owner_name: 'grace', locked: false, approve_joins: true });

    res = await fetch(`${o}/healthz`);
    conforms(await res.json(), schemaOf('/healthz', 'get', '200'));
    res = await fetch(`${o}/readyz`);
    conforms(await res.json(), schemaOf('/readyz', 'get', '200'));
  });
});

describe('end-to-end encrypted rooms (issue 15)', () => {
  const REF = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const zodJson = (schema: z.ZodType) => {
    const { $schema: _, ...rest } = JSON.parse(JSON.stringify(z.toJSONSchema(schema, { io: 'input' })));
    return rest;
  };

  test('the Envelope schema is the format of src/e2e/envelope.ts, with the sizes the server allows', async () => {
    const S = doc.components.schemas;
    expect(S.Envelope).toMatchObject({ type: 'string', pattern: ENVELOPE_SHAPE.source });
    // The documented example is real: it opens with the documented key.
    const keyText = (S.Envelope.description as string).match(/key `([A-Za-z0-9_-]{43})`/)?.[1];
    expect(keyText).toBeString();
    const key = await importRoomKey(keyText!);
    expect(await decrypt(key, S.Envelope.examples[0])).toBe('Hello, everyone!');
    expect(await decrypt(key, S.EncryptedContent.examples[0])).toBe('Hello, everyone!');
    expect(await decrypt(key, S.EncryptedRoomName.examples[0])).toBe('Friday standup');

    // A message's and a name's envelope: the handlers' zod schemas, and the Envelope format.
    expect(S.EncryptedContent).toMatchObject({ ...zodJson(EncryptedContent), allOf: [REF('Envelope')] });
    expect(S.EncryptedRoomName).toMatchObject({ ...zodJson(EncryptedRoomName), allOf: [REF('Envelope')] });
    expect(S.EncryptedContent.maxLength).toBe(envelopeMaxLength(LIMITS.content));
    expect(S.EncryptedContent.maxLength).toBe(8044);
    expect(S.EncryptedRoomName.maxLength).toBe(envelopeMaxLength(LIMITS.roomName));
    expect(S.EncryptedRoomName.maxLength).toBe(364);

    // The longest text sealed fits exactly; one character more, or plain text, does not.
    const longest = await encrypt(key, '€'.repeat(LIMITS.content));
    expect(longest.length).toBe(S.EncryptedContent.maxLength);
    expect(fits(longest, REF('EncryptedContent'))).toBe(true);
    expect(fits(`${longest}A`, REF('EncryptedContent'))).toBe(false);
    expect(isEnvelope(longest, LIMITS.content)).toBe(true);
    const longestName = await encrypt(key, '€'.repeat(LIMITS.roomName));
    expect(longestName.length).toBe(S.EncryptedRoomName.maxLength);
    expect(fits(longestName, REF('EncryptedRoomName'))).toBe(true);
    expect(fits(longestName, REF('EncryptedContent'))).toBe(true);
    for (const plain of ['hello', 'e2e1.tooshort.x', '']) expect(fits(plain, REF('Envelope'))).toBe(false);
  });

  test('creation takes e2e as a JSON boolean or a form field, and the name follows it; room JSON, messages and frames', () => {
    const op = doc.paths['/rooms'].post;
    const json = deref(op.requestBody.content['application/json'].schema);
    expect(json.properties.e2e).toMatchObject({ type: 'boolean' });
    expect(json.properties.e2e.description).toContain('#k=');
    expect(json.if).toEqual({ properties: { e2e: { const: true } }, required: ['e2e'] });
    expect(json.then).toEqual({ properties: { name: REF('EncryptedRoomName') } });
    expect(json.else.properties.name).toEqual({ minLength: 1, maxLength: LIMITS.roomName });

    const form = deref(op.requestBody.content['application/x-www-form-urlencoded'].schema);
    expect(op.requestBody.content['application/x-www-form-urlencoded'].schema).toEqual(REF('CreateRoomForm'));
    expect(Object.keys(form.properties).sort()).toEqual(Object.keys(json.properties).sort());
    expect(form.properties.e2e).toMatchObject({ type: 'string', enum: expect.arrayContaining(['on', 'off']) });
    expect(form.if.properties.e2e.enum).toContain('on');
    expect(form.then).toEqual(json.then);

    // The room JSON always says whether the room is encrypted (the public view of a password room too).
    const room = deref(doc.components.schemas.Room);
    expect(room.properties.e2e).toMatchObject({ type: 'boolean' });
    expect(room.required).toContain('e2e');
    expect(room.description).toContain('`e2e`');
    expect(room.properties.name.anyOf).toContainEqual(REF('EncryptedRoomName'));
    expect(deref(doc.components.schemas.CreatedRoom).properties.name.anyOf).toContainEqual(REF('EncryptedRoomName'));

    // A message's content, in answers, history and socket events; and in the frames a client sends.
    const message = deref(doc.components.schemas.Message);
    expect(message.properties.content.anyOf).toEqual([
      { type: 'string', minLength: 1, maxLength: LIMITS.content },
      REF('EncryptedContent'),
    ]);
    expect(deref(doc.components.schemas.History).properties.messages.items.properties.content).toEqual(message.properties.content);
    expect(deref(doc.components.schemas.WsHistoryEvent).properties.messages.items.properties.content).toEqual(message.properties.content);
    const ws = doc.paths['/rooms/{id}/ws'].get;
    const frame = deref(ws['x-websocket'].clientFrames).oneOf.find((f: Json) => f.properties.type.const === 'message');
    expect(frame.properties.content.anyOf).toContainEqual(REF('EncryptedContent'));
    expect(ws.description).toContain('End-to-end encrypted rooms');
    expect(ws.description).toContain('invalid_frame');
    expect(doc.paths['/rooms/{id}/live'].get.description).toContain('data-e2e');

    // The 400s name the refusals of plain text; the info says what the server still sees.
    const examples = (path: string) => doc.paths[path].post.responses['400'].content['application/json'].examples;
    expect(Object.keys(examples('/rooms'))).toEqual(expect.arrayContaining(['e2e_plain_name', 'e2e_name_too_long']));
    expect(Object.keys(examples('/rooms/{id}/messages'))).toEqual(expect.arrayContaining(['e2e_plain_text', 'e2e_too_long']));
    const bodies = doc.paths['/rooms/{id}/messages'].post.requestBody.content;
    for (const type of ['application/json', 'application/x-www-form-urlencoded']) {
      expect(bodies[type].schema.anyOf).toEqual([REF('PostMessage'), REF('PostEncryptedMessage')]);
    }
    expect(doc.info.description).toContain('End-to-end encrypted rooms');
    expect(doc.info.description).toContain('SECURITY.md');
  });

  test('an encrypted room over HTTP and /ws: the server answers as the document says', async () => {
    const o = running.origin;
    const keyText = newRoomKey();
    const key = await importRoomKey(keyText);
    const refusals = (path: string) => doc.paths[path].post.responses['400'].content['application/json'].examples;
    const create = (body: Json) => fetch(`${o}/rooms`, { method: 'POST', headers: J, body: JSON.stringify(body) });

    // A plain name, or an envelope too long for a name, is refused with the documented answers.
    let res = await create({ name: 'Secret plans', owner_name: 'ada', e2e: true });
    expect(res.status).toBe(400);
    const plainName = await res.json();
    conforms(plainName, schemaOf('/rooms', 'post', '400'));
    expect(plainName).toEqual(refusals('/rooms').e2e_plain_name.value);
    const overlong = `e2e1.${'A'.repeat(16)}.${'A'.repeat(envelopeMaxLength(LIMITS.roomName) - 21)}`;
    expect(overlong.length).toBe(envelopeMaxLength(LIMITS.roomName) + 1);
    res = await create({ name: overlong, owner_name: 'ada', e2e: true });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual(refusals('/rooms').e2e_name_too_long.value);

    // The name's envelope, made by src/e2e/envelope.ts: created, and shown as sent.
    const sealedName = await encrypt(key, 'Secret plans');
    res = await create({ name: sealedName, owner_name: 'ada', e2e: true });
    expect(res.status).toBe(201);
    const room = await res.json();
    conforms(room, schemaOf('/rooms', 'post', '201'));
    expect(room).toMatchObject({ e2e: true, name: sealedName });
    expect(fits(room.name, deref(schemaOf('/rooms', 'post', '201')).properties.name)).toBe(true);
    expect(await decrypt(key, room.name)).toBe('Secret plans');
    expect(JSON.stringify(room)).not.toContain(keyText);

    res = await fetch(`${o}/rooms/${room.room_id}/join`, { method: 'POST', headers: J, body: JSON.stringify({ username: 'grace' }) });
    expect(res.status).toBe(200);
    const joined = await res.json();
    const auth = { authorization: `Bearer ${joined.token}` };
    res = await fetch(`${o}/rooms/${room.room_id}`, { headers: { accept: 'application/json', ...auth } });
    const shown = await res.json();
    conforms(shown, schemaOf('/rooms/{id}', 'get', '200'));
    expect(shown).toMatchObject({ e2e: true, name: sealedName });

    // Messages: an envelope is stored and relayed unchanged; plain text and an overlong envelope are refused.
    const post = (content: string) =>
      fetch(`${o}/rooms/${room.room_id}/messages`, { method: 'POST', headers: { ...J, ...auth }, body: JSON.stringify({ content }) });
    const envelope = await encrypt(key, 'Meet at noon');
    res = await post(envelope);
    expect(res.status).toBe(201);
    const sent = await res.json();
    conforms(sent, schemaOf('/rooms/{id}/messages', 'post', '201'));
    expect(sent.content).toBe(envelope);
    expect(fits(sent.content, deref(doc.components.schemas.Message).properties.content)).toBe(true);

    res = await post('Meet at noon');
    expect(res.status).toBe(400);
    const plainText = await res.json();
    conforms(plainText, schemaOf('/rooms/{id}/messages', 'post', '400'));
    expect(plainText).toEqual(refusals('/rooms/{id}/messages').e2e_plain_text.value);
    const longest = await encrypt(key, '€'.repeat(LIMITS.content));
    res = await post(longest);
    expect(res.status).toBe(201);
    res = await post(`${longest}A`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual(refusals('/rooms/{id}/messages').e2e_too_long.value);

    res = await fetch(`${o}/rooms/${room.room_id}/messages`, { headers: auth });
    const history = await res.json();
    conforms(history, schemaOf('/rooms/{id}/messages', 'get', '200'));
    expect(history.messages.map((m: Json) => m.content)).toEqual([envelope, longest]);
    expect(await decrypt(key, history.messages[0].content)).toBe('Meet at noon');

    // The JSON socket: history and message events carry envelopes; plain text gets invalid_frame.
    const ws = await connect(joined.ws_url);
    try {
      const first = await ws.type('history');
      conforms(first, doc.components.schemas.WsHistoryEvent);
      expect(first.messages.map((m: Json) => m.content)).toEqual([envelope, longest]);
      ws.send({ type: 'message', content: 'plain words' });
      const refused = await ws.type('error');
      conforms(refused, doc.components.schemas.WsErrorEvent);
      expect(refused.code).toBe('invalid_frame');
      expect(refused.message).toContain(refusals('/rooms/{id}/messages').e2e_plain_text.value.error.fields.content);
      const viaSocket = await encrypt(key, 'from the socket');
      ws.send({ type: 'message', content: viaSocket });
      const event = await ws.next((f) => f.type === 'message' && f.content === viaSocket);
      conforms(event, doc.components.schemas.Message);
      expect(await decrypt(key, event.content)).toBe('from the socket');
      expect(ws.of('message')).toHaveLength(1); // the plain text was not sent
    } finally {
      ws.close();
    }

    // The lobby's form: e2e=on with the name's envelope (its script seals it); a plain name gets the form again with 400.
    const form = (fields: Record<string, string>) =>
      fetch(`${o}/rooms`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: o },
        body: new URLSearchParams(fields),
        redirect: 'manual',
      });
    res = await form({ name: await encrypt(key, 'Form room'), owner_name: 'bob', e2e: 'on' });
    expect(res.status).toBe(303);
    const location = res.headers.get('location')!;
    expect(location).toMatch(/^\/rooms\/[A-Za-z0-9_-]{21}$/);
    res = await fetch(`${o}${location}`, { headers: { accept: 'application/json' } });
    expect(await res.json()).toMatchObject({ e2e: true });
    res = await form({ name: 'Form room', owner_name: 'bob', e2e: 'on' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain(refusals('/rooms').e2e_plain_name.value.error.fields.name);

    // Rooms without e2e say so, and keep plain text.
    res = await create({ name: 'Plain', owner_name: 'ada' });
    expect(await res.json()).toMatchObject({ e2e: false, name: 'Plain' });
  });
});

describe('GET /docs', () => {
  test('serves swagger-ui from this server, with every asset it references', async () => {
    const res = await fetch(`${running.origin}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/html');
    const html = await res.text();
    expect(html).toContain('<title>mayfly API</title>');
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/); // no inline scripts (CSP: script-src 'self')
    expect(html).not.toMatch(/https?:\/\//); // no CDN

    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!).filter((a) => a !== '/');
    expect(assets).toEqual(expect.arrayContaining(['/docs/assets/swagger-ui.css', '/docs/assets/swagger-ui-bundle.js', '/static/docs.js']));
    const types: Record<string, string> = { css: 'text/css', js: 'javascript', svg: 'image/svg+xml' };
    for (const asset of assets) {
      const a = await fetch(new URL(asset, running.origin));
      expect({ asset, status: a.status }).toEqual({ asset, status: 200 });
      const ext = asset.split('.').pop()!;
      expect(a.headers.get('content-type')).toContain(types[ext]!);
      expect((await a.arrayBuffer()).byteLength).toBeGreaterThan(0);
    }

    const initialiser = await (await fetch(`${running.origin}/static/docs.js`)).text();
    expect(initialiser).toContain('/openapi.json');
    expect(initialiser).toContain('prefers-color-scheme: dark'); // follows dark mode
    expect(html).toContain('<a href="/">'); // a way back to the app
  });

  test('unknown docs assets 404; nothing outside the list is reachable', async () => {
    for (const name of ['nope.js', 'index.html', '..%2Fpackage.json', 'swagger-ui-bundle.js.map']) {
      const res = await fetch(`${running.origin}/docs/assets/${name}`);
      expect({ name, status: res.status }).toEqual({ name, status: 404 });
    }
  });
});
