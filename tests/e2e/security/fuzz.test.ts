import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { NatsConnection, headers as natsHeaders } from 'nats';
import request from 'supertest';
import { ServiceTokenSigner } from '@vc/auth';
import { Headers, REQUEST_CONTRACTS, Subjects } from '@vc/contracts';
import { decodeReply, RpcReply } from '@vc/messaging';
import { BOOKKEEPING_TABLES, connectAs, rowCounts, TestSystem, tokenFor } from '@vc/testing';
import { bootstrapGateway } from '../../../apps/gateway/src/bootstrap';
import { deltaOperator } from '../../fixtures/principals';
import { DeltaServices, SIMULATED_CLOCK, startDeltaServices } from '../../fixtures/services';
import { acceptedBy, bodyText, Broken, distinct, Schema, SchemaFuzz } from './schema-fuzz';

const RUNS = Number(process.env.FUZZ_RUNS ?? 10000);
const BODY_LIMIT_BYTES = 64 * 1024;
const DOCS = join(__dirname, '..', '..', '..', 'docs');
const OPENAPI = JSON.parse(readFileSync(join(DOCS, 'openapi.json'), 'utf8'));
const ASYNCAPI = JSON.parse(readFileSync(join(DOCS, 'asyncapi.json'), 'utf8'));
const SCHEMAS: Record<string, Schema> = { ...ASYNCAPI.components.schemas, ...OPENAPI.components.schemas };
const SCHEMAS_BY_DTO = new Map<string, Function>(Object.values(REQUEST_CONTRACTS).map((c) => [c.request.name, c.request]));

/** The refusals a malformed request may get: a client error, never a server error. */
const CLIENT_ERROR = /^(VALIDATION_FAILED|MALFORMED_REQUEST|INVALID_CREDIT_CODE|INVALID_AMOUNT|PAYLOAD_TOO_LARGE)$/;

/** The refusal names the broken field, or a part of it (`contact.0`: inside the field that was broken). */
function namesField(field: string | undefined, expected: string | null): boolean {
  if (expected === null) return field === undefined;
  return field === expected || (field ?? '').startsWith(`${expected}.`);
}

interface Case {
  transport: 'NATS' | 'HTTP';
  target: string;
  broken: Broken;
  send(): Promise<{ status?: number; ok: boolean; code?: string; field?: string }>;
}

/** A path parameter's valid value (the fuzz breaks one thing at a time: the body, the query, or one of these). */
const PATH_VALUES: Record<string, string> = {
  programmeId: 'JS-2026',
  year: '2026',
  quarter: '2026Q3',
  ownerType: 'provider',
  kind: 'publicity',
  format: 'csv',
};

/**
 * R-ERR-1 over every operation of the gateway and every request subject of the services: inputs
 * generated from the published schemas, each valid but for one thing, must be refused with a client
 * error naming that field (or, for a body that is not an object or nests too deep, no field), and
 * nothing may be written.
 */
describe('hostile input: every route and subject, generated from the published schemas (fast-check)', () => {
  let sys: TestSystem;
  let services: DeltaServices;
  let gateway: NestFastifyApplication;
  let settlementNc: NatsConnection;
  const fuzz = new SchemaFuzz(SCHEMAS);

  beforeAll(async () => {
    sys = await TestSystem.start();
    services = await startDeltaServices(sys, SIMULATED_CLOCK);
    gateway = await bootstrapGateway(sys.config({ ...SIMULATED_CLOCK, RATE_LIMIT_PER_MINUTE: 1_000_000 }), false);
    settlementNc = await connectAs(sys.nats.url, 'settlement', 'fuzz-settlement');
  }, 120000);

  afterAll(async () => {
    await settlementNc?.drain().catch(() => undefined);
    await gateway?.close();
    await sys?.stop();
  });

  /** One NATS request, as the gateway (or, for the subject only settlement may send, as settlement with its service token). */
  async function natsCall(subject: string, text: string, seq: number): Promise<RpcReply> {
    if (subject === Subjects.redemption.claimConfirm) {
      const h = natsHeaders();
      h.set(Headers.Authorization, `Bearer ${await services.apps[3].get(ServiceTokenSigner).token()}`);
      const msg = await settlementNc.request(subject, new TextEncoder().encode(text), { timeout: 15000, headers: h });
      return decodeReply(msg.data);
    }
    const auth = REQUEST_CONTRACTS[subject].auth === 'optional' && seq % 2 === 0 ? {} : { principal: deltaOperator };
    return sys.client.call(subject, null, { ...auth, raw: text, idempotencyKey: `fz-${seq}` });
  }

  function natsCases(perTarget: number): Case[] {
    const cases: Case[] = [];
    let seq = 0;
    for (const [subject, contract] of Object.entries(REQUEST_CONTRACTS)) {
      // the health checks read no body: there is nothing to refuse
      if (contract.request.name === 'EmptyDto') continue;
      const schema = SCHEMAS[contract.request.name];
      if (!schema) throw new Error(`no schema for ${contract.request.name} in docs/asyncapi.json`);
      const accept = acceptedBy(contract.request);
      for (const broken of distinct(fuzz.broken(schema, [], accept).filter((b) => !accept(b.value)), perTarget, 7 + cases.length, (b) => bodyText(b.value))) {
        const n = ++seq;
        cases.push({
          transport: 'NATS',
          target: subject,
          broken,
          send: async () => {
            const reply = await natsCall(subject, bodyText(broken.value), n);
            return reply.ok ? { ok: true } : { ok: false, code: reply.error.code, field: reply.error.field };
          },
        });
      }
    }
    return cases;
  }

  function httpCases(perTarget: number): Case[] {
    const http = request(gateway.getHttpServer());
    const token = tokenFor(deltaOperator);
    const cases: Case[] = [];
    let seq = 0;
    for (const [template, item] of Object.entries(OPENAPI.paths as Record<string, Record<string, Schema>>)) {
      for (const [method, op] of Object.entries(item)) {
        if (op.operationId === 'devLogin') continue; // exists only with DEV_SIGN_IN (its own test)
        const params: Array<{ name: string; in: string; required?: boolean; schema: Schema }> = op.parameters ?? [];
        const pathParams = params.filter((p) => p.in === 'path');
        const queryParams = params.filter((p) => p.in === 'query');
        const bodyRef: string | undefined = op.requestBody?.content?.['application/json']?.schema?.$ref;
        const pathValue = (name: string, schema: Schema) => PATH_VALUES[name] ?? (fuzz.resolve(schema).format === 'uuid' ? '00000000-0000-4000-8000-00000000f022' : String(fuzz.resolve(schema).enum?.[0]));
        const path = (overrides: Record<string, string> = {}) =>
          template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(overrides[name] ?? pathValue(name, pathParams.find((p) => p.name === name)!.schema)));
        const send = (broken: Broken, url: string, query: Record<string, string>, body?: string) => async () => {
          let req = (http as any)[method](url).query(query).set('Idempotency-Key', `fzh-${++seq}`);
          if (!(op.security ?? []).some((s: Schema) => Object.keys(s).length === 0) || seq % 2 === 0) req = req.set('Authorization', `Bearer ${token}`);
          if (body !== undefined) req = req.set('Content-Type', 'application/json').send(body);
          const res = await req;
          return { status: res.status, ok: res.status < 300, code: res.body?.code, field: res.body?.field };
        };
        const target = `${method.toUpperCase()} ${template}`;
        const validQuery = () => Object.fromEntries(queryParams.filter((p) => p.required).map((p) => [p.name, String(p.schema.example ?? pathValue(p.name, p.schema))]));
        const inputs: Array<() => Case[]> = [];
        const bodyName = bodyRef?.split('/').pop();
        const bodyDto = bodyName ? SCHEMAS_BY_DTO.get(bodyName) ?? SCHEMAS_BY_DTO.get(bodyName.replace(/Body$/, 'Dto')) : undefined;
        const pathExtra = Object.fromEntries(pathParams.map((p) => [p.name, p.name === 'year' ? 2026 : pathValue(p.name, p.schema)]));
        // a request whose query or path is broken carries a valid body, if it has one
        const validBody = bodyName ? JSON.stringify(fuzz.validBody(SCHEMAS[bodyName], acceptedBy(bodyDto, pathExtra))) : undefined;
        if (bodyRef) {
          const name = bodyName!;
          const dto = bodyDto;
          const accept = acceptedBy(dto, pathExtra);
          inputs.push(() =>
            distinct(fuzz.broken(SCHEMAS[name], [], accept).filter((b) => !accept(b.value)), perTarget, 11 + cases.length, (b) => bodyText(b.value)).map((b) => {
              // a body over the gateway's limit is refused whole (413), before any field is read
              const broken = bodyText(b.value).length > BODY_LIMIT_BYTES ? { ...b, field: null } : b;
              return {
              transport: 'HTTP' as const,
              target,
              broken,
              send: send(broken, path(), validQuery(), bodyText(broken.value)),
              };
            }),
          );
        }
        const brokenQuery = fuzz.brokenQuery(queryParams);
        if (brokenQuery) {
          inputs.push(() =>
            distinct(brokenQuery, perTarget, 13 + cases.length, (b) => JSON.stringify(b.value)).map((broken) => ({
              transport: 'HTTP' as const,
              target,
              broken,
              send: send(broken, path(), broken.value as Record<string, string>, validBody),
            })),
          );
        }
        for (const p of pathParams) {
          const brokenPath = fuzz.brokenQuery([{ name: p.name, required: true, schema: p.schema }]);
          if (!brokenPath) continue;
          inputs.push(() =>
            distinct(brokenPath, Math.max(3, Math.ceil(perTarget / 4)), 17 + cases.length, (b) => JSON.stringify(b.value)).map((broken) => ({
              transport: 'HTTP' as const,
              target,
              broken,
              send: send(broken, path(broken.value as Record<string, string>), validQuery(), validBody),
            })),
          );
        }
        for (const make of inputs) cases.push(...make());
      }
    }
    return cases;
  }

  it(`R-ERR-1: ${RUNS} generated inputs over every route and subject → clean refusals naming the field, 0 server errors, 0 rows written`, async () => {
    const schemas = ['registry', 'issuance', 'redemption', 'settlement'];
    const counts = async () => Object.fromEntries(await Promise.all(schemas.map(async (s) => [s, await rowCounts(sys.db.url, s, [...BOOKKEEPING_TABLES, 'outbox'])])));
    const before = await counts();
    const subjects = Object.values(REQUEST_CONTRACTS).filter((c) => c.request.name !== 'EmptyDto').length;
    const operations = Object.values(OPENAPI.paths as Record<string, object>).reduce((n, item) => n + Object.keys(item).length, 0);
    // as many distinct inputs per target as RUNS needs in all (a target with few ways to break it yields fewer)
    let perTarget = Math.max(12, Math.ceil(RUNS / (subjects + operations)));
    let cases: Case[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      cases = [...natsCases(Math.ceil(perTarget * 0.6)), ...httpCases(perTarget)];
      if (cases.length >= RUNS) break;
      perTarget = Math.ceil((perTarget * RUNS * 1.1) / cases.length);
    }
    const stats = { NATS: 0, HTTP: 0, serverErrors: 0, accepted: 0, wrongField: 0, subjects: new Set<string>(), routes: new Set<string>() };
    const failures: string[] = [];
    for (let i = 0; i < cases.length; i += 25) {
      await Promise.all(
        cases.slice(i, i + 25).map(async (c) => {
          const r = await c.send();
          stats[c.transport]++;
          (c.transport === 'NATS' ? stats.subjects : stats.routes).add(c.target);
          const what = `${c.transport} ${c.target} (${c.broken.how}: ${bodyText(c.broken.value).slice(0, 120)}) answered ${r.status ?? ''} ${r.code ?? 'ok'} field=${r.field}`;
          if (r.ok) {
            stats.accepted++;
            failures.push(what);
          } else if (!CLIENT_ERROR.test(r.code ?? '') || (r.status !== undefined && (r.status < 400 || r.status >= 500))) {
            stats.serverErrors++;
            failures.push(what);
          } else if (!namesField(r.field, c.broken.field)) {
            stats.wrongField++;
            failures.push(`${what}, expected field=${c.broken.field}`);
          }
        }),
      );
    }
    console.log(
      `fuzz: ${stats.NATS} NATS requests over ${stats.subjects.size} subjects + ${stats.HTTP} HTTP requests over ${stats.routes.size} operations; ` +
        `${stats.serverErrors} server errors, ${stats.accepted} accepted, ${stats.wrongField} naming another field`,
    );
    if (failures.length) console.log(failures.slice(0, 300).join('\n'));
    expect(failures.slice(0, 20)).toEqual([]);
    expect(stats.NATS + stats.HTTP).toBeGreaterThanOrEqual(RUNS);
    expect(await counts()).toEqual(before);
  }, 900000);

  it('a body over the size limit is refused with PAYLOAD_TOO_LARGE before it reaches a service', async () => {
    const res = await request(gateway.getHttpServer())
      .post('/v1/providers')
      .set('Authorization', `Bearer ${tokenFor(deltaOperator)}`)
      .set('Idempotency-Key', 'big')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ junk: 'x'.repeat(200_000) }));
    expect(res.status).toBe(413);
    expect(res.body.code).toBe('PAYLOAD_TOO_LARGE');
  });
});
