import { spawn, spawnSync } from 'node:child_process';
import { createServer, Server } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse } from 'yaml';

// the integration project's testTimeout is not applied per project by jest 30: set it here
jest.setTimeout(60_000);

/**
 * deploy/docker-compose.yml, deploy/Dockerfile and the image's entrypoint and health check.
 * No container engine runs on these machines: the compose file is checked against the Compose
 * Specification's JSON schema (schemas/compose-spec.json, from compose-spec/compose-spec) and
 * against this repository (AppConfig, accounts.conf, the services' ports).
 */
const ROOT = join(__dirname, '../../..');
const DEPLOY = join(ROOT, 'deploy');
const APPS = { gateway: 3000, registry: 3101, issuance: 3102, redemption: 3103, settlement: 3104 } as const;

type Obj = Record<string, any>;

const composeText = () => readFileSync(join(DEPLOY, 'docker-compose.yml'), 'utf8');
const compose = (): Obj => parse(composeText(), { merge: true });

function envExample(): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of readFileSync(join(DEPLOY, '.env.example'), 'utf8').split('\n')) {
    const m = /^([A-Z][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) vars.set(m[1], m[2]);
  }
  return vars;
}

/** Compose interpolation (`${VAR}`, `${VAR:-default}`, `${VAR:?error}`) of every string in a value. */
function interpolate(value: unknown, vars: Map<string, string>): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Z0-9_]+)(?::([-?])([^}]*))?\}/g, (_all, name: string, op: string | undefined, arg: string) => {
      const v = vars.get(name);
      if (v !== undefined && v !== '') return v;
      if (op === '-') return arg;
      if (op === '?') throw new Error(`required variable ${name} is not set: ${arg}`);
      return '';
    });
  }
  if (Array.isArray(value)) return value.map((v) => interpolate(v, vars));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, vars)]));
  return value;
}

function appConfigKeys(): Set<string> {
  const source = readFileSync(join(ROOT, 'libs/config/src/app-config.ts'), 'utf8');
  return new Set([...source.matchAll(/^ {2}([A-Z][A-Z0-9_]+)\??\s*[:=]/gm)].map((m) => m[1]));
}

function accountPasswordVariables(): string[] {
  const accounts = readFileSync(join(DEPLOY, 'nats/accounts.conf'), 'utf8');
  return [...accounts.matchAll(/\bpassword:\s*\$([A-Z0-9_]+)/g)].map((m) => m[1]).sort();
}

describe('deploy: docker compose and the image', () => {
  it('deploy: docker-compose.yml is valid against the Compose Specification schema', () => {
    const schema = JSON.parse(readFileSync(join(__dirname, 'schemas/compose-spec.json'), 'utf8'));
    delete schema.$schema; // draft-07 under an https id that ajv does not register by that name
    const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
    const doc = compose();
    const valid = validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // and once interpolated with the example environment, as docker compose would see it
    expect(validate(interpolate(doc, envExample()))).toBe(true);
    // the override that offers gRPC with mutual TLS
    const grpc = parse(readFileSync(join(DEPLOY, 'docker-compose.grpc.yml'), 'utf8'));
    expect(validate(grpc)).toBe(true);
    expect(grpc.services.redemption.environment.GRPC_TLS_DIR).toBe('/etc/voucher/grpc-tls');
    expect(grpc.services.redemption.deploy.replicas).toBe(1);
  });

  it('deploy: every variable the compose file requires is in .env.example, with a password nats-server can read', () => {
    const required = [...composeText().matchAll(/\$\{([A-Z0-9_]+):\?/g)].map((m) => m[1]);
    const example = envExample();
    for (const name of new Set(required)) expect({ name, inExample: example.has(name) }).toEqual({ name, inExample: true });
    expect(() => interpolate(compose(), example)).not.toThrow();
    expect(() => interpolate(compose(), new Map())).toThrow(/required variable/);
    // nats-server parses environment values like config values; DATABASE_URL embeds the PostgreSQL one
    for (const [name, value] of example) {
      if (/PASSWORD$/.test(name)) expect({ name, readable: /^[A-Za-z][A-Za-z0-9_-]*$/.test(value) }).toEqual({ name, readable: true });
    }
  });

  it('deploy: the five services run from one image, each with its SERVICE, HTTP port, NATS user and a health check on /health/ready', () => {
    const doc = interpolate(compose(), envExample()) as Obj;
    const keys = appConfigKeys();
    const images = new Set<string>();
    for (const [app, port] of Object.entries(APPS)) {
      const svc = doc.services[app];
      expect(svc).toBeDefined();
      images.add(svc.image);
      expect(svc.build).toEqual({ context: '..', dockerfile: 'deploy/Dockerfile' });
      expect(svc.environment).toMatchObject({ SERVICE: app, HTTP_PORT: String(port), NATS_USER: app, NODE_ENV: 'production', NATS_URL: 'nats://nats:4222' });
      expect(svc.environment.NATS_PASSWORD).toBe(envExample().get(`NATS_${app.toUpperCase()}_PASSWORD`));
      for (const name of Object.keys(svc.environment)) expect({ app, name, known: keys.has(name) || name === 'SERVICE' }).toEqual({ app, name, known: true });
      expect(svc.healthcheck.test).toEqual(['CMD', 'node', '/app/deploy/healthcheck.js', '/health/ready']);
      expect(svc.depends_on.nats.condition).toBe('service_healthy');
      if (app !== 'gateway') {
        expect(svc.depends_on.postgres.condition).toBe('service_healthy');
        expect(svc.deploy.replicas).toBe(2);
        expect(svc.ports).toBeUndefined(); // replicas cannot share a fixed host port
        expect(new URL(svc.environment.DATABASE_URL).hostname).toBe('postgres');
      }
    }
    expect(images.size).toBe(1);
    expect(doc.services.gateway.ports).toEqual(['3000:3000']);
  });

  it('deploy: each service reads its secrets from SECRETS_DIR and is given only its own signing key; the gateway none', () => {
    const doc = interpolate(compose(), envExample()) as Obj;
    for (const app of Object.keys(APPS)) {
      const svc = doc.services[app];
      expect(svc.environment).toMatchObject({ SECRETS_DIR: '/run/secrets/voucher', BIND_ADDRESS: '0.0.0.0' });
      expect(svc.environment.JWT_SECRET).toBeUndefined();
      const mounted = (svc.volumes as string[]).map((v) => v.split(':')[1]);
      expect(mounted).toContain('/run/secrets/voucher/idp/jwks.json');
      const keys = mounted.filter((m) => /service-keys\/[a-z]+\.jwk\.json$/.test(m));
      expect(keys).toEqual(app === 'gateway' ? [] : [`/run/secrets/voucher/service-keys/${app}.jwk.json`]);
      for (const v of svc.volumes as string[]) expect(v.endsWith(':ro')).toBe(true);
    }
    // gRPC only with the TLS override
    expect(doc.services.redemption.environment.GRPC_PORT).toBeUndefined();
    expect(parse(readFileSync(join(DEPLOY, 'docker-compose.grpc.yml'), 'utf8')).services.redemption.environment).toMatchObject({ GRPC_PORT: '50051' });
  });

  it('deploy: NATS (pinned image) loads deploy/nats/nats.conf and gets a password for every user of accounts.conf', () => {
    const doc = compose();
    const nats = doc.services.nats;
    expect(nats.image).toMatch(/^nats:2\.\d+\.\d+-alpine$/);
    expect(nats.command).toEqual(['nats-server', '--config', '/etc/nats/nats.conf']);
    expect(nats.volumes).toContain('./nats:/etc/nats:ro');
    expect(Object.keys(nats.environment).sort()).toEqual(accountPasswordVariables());
    expect(doc.services.postgres.image).toMatch(/^postgres:15\.\d+-bookworm$/);
    for (const svc of Object.values<Obj>(doc.services)) expect(svc.image).not.toMatch(/:latest$/);
  });

  it('deploy: the Dockerfile builds on a pinned node:20 bookworm-slim image and runs as the unprivileged node user', () => {
    const dockerfile = readFileSync(join(DEPLOY, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:20\.\d+\.\d+-bookworm-slim$/m);
    expect([...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1])).toEqual(['${NODE_IMAGE}', '${NODE_IMAGE}', '${NODE_IMAGE}']);
    expect(dockerfile).toMatch(/RUN npm ci --no-audit --no-fund\n/);
    expect(dockerfile).toMatch(/RUN npm run build\n/);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    expect(dockerfile).toMatch(/^USER node$/m);
    expect(dockerfile).toMatch(/^ENTRYPOINT \["\/app\/deploy\/entrypoint.sh"\]$/m);
    // every path the build copies exists in the repository
    for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const src of m[1].split(/\s+/)) expect({ src, exists: existsSync(join(ROOT, src)) }).toEqual({ src, exists: true });
    }
  });

  it('deploy: the image entrypoint selects the service from its argument or SERVICE and runs any other command as given', () => {
    const entrypoint = join(DEPLOY, 'entrypoint.sh');
    expect(spawnSync('sh', ['-n', entrypoint]).status).toBe(0);
    const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      spawnSync('sh', [entrypoint, ...args], { env: { PATH: process.env.PATH, ...env }, encoding: 'utf8' });
    const none = run([]);
    expect(none.status).toBe(64);
    expect(none.stderr).toMatch(/set SERVICE to one of: gateway registry issuance redemption settlement/);
    expect(run([], { SERVICE: 'billing' }).status).toBe(64);
    expect(run(['echo', 'a command'], { SERVICE: 'registry' }).stdout).toBe('a command\n');
    const text = readFileSync(entrypoint, 'utf8');
    for (const app of Object.keys(APPS)) expect(text).toContain(app);
    expect(text).toContain('exec node "/app/dist/apps/$svc/src/main.js"');
  });

  describe('deploy: the health check script', () => {
    let server: Server;
    let port: number;
    let status = 200;
    beforeAll(async () => {
      server = createServer((req, res) => {
        res.statusCode = req.url === '/health/ready' ? status : 404;
        res.end('{}');
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

    const check = () =>
      new Promise<number | null>((resolve) => {
        const p = spawn(process.execPath, [join(DEPLOY, 'healthcheck.js')], { env: { HTTP_PORT: String(port) }, stdio: 'ignore' });
        p.on('exit', (code) => resolve(code));
      });

    it('deploy: healthcheck.js is healthy on a 2xx from /health/ready and unhealthy otherwise', async () => {
      status = 200;
      expect(await check()).toBe(0);
      status = 503;
      expect(await check()).toBe(1);
    });
  });
});
