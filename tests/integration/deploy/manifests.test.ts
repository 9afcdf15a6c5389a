import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

// the integration project's testTimeout is not applied per project by jest 30: set it here
jest.setTimeout(60_000);

/**
 * deploy/k8s: every kustomization rendered with `kubectl kustomize` (kustomize is built into
 * kubectl), every object validated against the Kubernetes schema of its apiVersion/kind
 * (kubernetes-models: the OpenAPI schemas of Kubernetes compiled to validators), then our own rules.
 */
const ROOT = join(__dirname, '../../..');
const K8S = join(ROOT, 'deploy/k8s');
const KUSTOMIZATIONS = ['base', 'overlays/local', 'overlays/production'] as const;
const APPS = { gateway: 3000, registry: 3101, issuance: 3102, redemption: 3103, settlement: 3104 } as const;
const AUTOSCALED = ['gateway', 'redemption'];

type Obj = Record<string, any>;

/** Keys of AppConfig, read from its source: every variable a service reads from the environment. */
function appConfigKeys(): Set<string> {
  const source = readFileSync(join(ROOT, 'libs/config/src/app-config.ts'), 'utf8');
  return new Set([...source.matchAll(/^ {2}([A-Z][A-Z0-9_]+)\??\s*[:=]/gm)].map((m) => m[1]));
}
/** Environment variables a container may carry besides AppConfig's. */
const RUNTIME_ENV = new Set(['SERVICE', 'NODE_OPTIONS']);

/**
 * The major version of the kustomize built into the kubectl on the PATH, or null when there is no
 * kubectl. kustomize before v4 (kubectl before 1.21, as Debian 12's kubernetes-client) cannot read
 * these kustomizations (`patches` with targets, `labels`).
 */
function kustomizeMajor(): number | null {
  try {
    const out = execFileSync('kubectl', ['version', '--client'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const match = /Kustomize Version:\s*v(\d+)/.exec(out);
    return match ? Number(match[1]) : 0;
  } catch {
    return null;
  }
}

const KUSTOMIZE = kustomizeMajor();
const CAN_RENDER = KUSTOMIZE !== null && KUSTOMIZE >= 4;
if (!CAN_RENDER) {
  console.warn(
    `tests/integration/deploy/manifests: ${KUSTOMIZE === null ? 'no kubectl on the PATH' : `kubectl's kustomize is v${KUSTOMIZE || '2 or older'}`}; ` +
      'these tests need kubectl 1.21 or later (kustomize v4+) and are skipped',
  );
}

function render(kustomization: string): Obj[] {
  const yaml = execFileSync('kubectl', ['kustomize', join(K8S, kustomization)], { encoding: 'utf8', maxBuffer: 32 * 1024 * 1024 });
  return parseAllDocuments(yaml)
    .map((d) => d.toJS() as Obj)
    .filter(Boolean);
}

/** The validator class of kubernetes-models for an object's apiVersion and kind. */
function schemaModel(obj: Obj): { new (data: Obj): { validate(): void } } {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : [null, obj.apiVersion];
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const models = require(`kubernetes-models/${group ? `${group}/` : ''}${version}`);
  const model = models[obj.kind];
  if (!model) throw new Error(`no Kubernetes schema for ${obj.apiVersion} ${obj.kind}`);
  return model;
}

function validateSchema(obj: Obj): void {
  const copy = structuredClone(obj);
  // kustomize wraps long base64 values over lines; the API server's decoder ignores the newlines,
  // the schema's "byte" format does not
  if (copy.kind === 'Secret' && copy.data) for (const k of Object.keys(copy.data)) copy.data[k] = String(copy.data[k]).replace(/\s+/g, '');
  try {
    new (schemaModel(copy))(copy).validate();
  } catch (err) {
    throw new Error(`${obj.kind}/${obj.metadata?.name}: ${(err as Error).message}`);
  }
}

const workloads = (objs: Obj[]) => objs.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
const named = (objs: Obj[], kind: string, name: string) => objs.find((o) => o.kind === kind && o.metadata.name === name);
const matches = (selector: Record<string, string>, labels: Record<string, string> = {}) =>
  Object.entries(selector).every(([k, v]) => labels[k] === v);

/** Secret keys a workload reads: environment variables from secretKeyRef, and files of secret (or projected) volumes. */
function secretRefs(objs: Obj[]): Array<{ workload: string; name: string; key: string }> {
  const refs: Array<{ workload: string; name: string; key: string }> = [];
  for (const w of workloads(objs)) {
    for (const c of w.spec.template.spec.containers) {
      for (const e of c.env ?? []) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref) refs.push({ workload: w.metadata.name, name: ref.name, key: ref.key });
      }
    }
    for (const v of w.spec.template.spec.volumes ?? []) {
      const sources = v.secret ? [{ secret: { name: v.secret.secretName, items: v.secret.items } }] : (v.projected?.sources ?? []);
      for (const s of sources) for (const item of s.secret?.items ?? []) refs.push({ workload: w.metadata.name, name: s.secret.name, key: item.key });
    }
  }
  return refs;
}

/** The files a Deployment's container finds in SECRETS_DIR (its projected `secrets` volume). */
function secretFiles(objs: Obj[], app: string): string[] {
  const volume = named(objs, 'Deployment', app)!.spec.template.spec.volumes.find((v: Obj) => v.name === 'secrets');
  return volume.projected.sources.flatMap((s: Obj) => s.secret.items.map((i: Obj) => i.path)).sort();
}

/** The `$NATS_..._PASSWORD` variables of accounts.conf: one per NATS user. */
function accountPasswordVariables(): string[] {
  const accounts = readFileSync(join(ROOT, 'deploy/nats/accounts.conf'), 'utf8');
  return [...accounts.matchAll(/\bpassword:\s*\$([A-Z0-9_]+)/g)].map((m) => m[1]).sort();
}

(CAN_RENDER ? describe : describe.skip)('Kubernetes manifests (deploy/k8s)', () => {
  const rendered = new Map<string, Obj[]>();
  const configKeys = appConfigKeys();

  beforeAll(() => {
    for (const k of KUSTOMIZATIONS) rendered.set(k, render(k));
  });

  describe.each(KUSTOMIZATIONS)('%s', (kustomization) => {
    const objs = () => rendered.get(kustomization)!;

    it('Kubernetes manifests: every object is valid against the Kubernetes schema of its apiVersion and kind', () => {
      expect(objs().length).toBeGreaterThan(0);
      for (const obj of objs()) validateSchema(obj);
    });

    it('Kubernetes manifests: every service runs as a Deployment with a Service and a PodDisruptionBudget; gateway and redemption autoscale', () => {
      for (const [app, port] of Object.entries(APPS)) {
        const deployment = named(objs(), 'Deployment', app);
        expect(deployment).toBeDefined();
        const pod = deployment!.spec.template;
        const container = pod.spec.containers[0];
        expect(container.args).toEqual([app]);
        expect(container.ports.find((p: Obj) => p.name === 'http').containerPort).toBe(port);
        expect(container.env.find((e: Obj) => e.name === 'HTTP_PORT').value).toBe(String(port));
        expect(container.env.find((e: Obj) => e.name === 'NATS_USER').value).toBe(app);

        const service = named(objs(), 'Service', app);
        expect(service && matches(service.spec.selector, pod.metadata.labels)).toBe(true);
        const pdb = objs().find((o) => o.kind === 'PodDisruptionBudget' && matches(o.spec.selector.matchLabels, pod.metadata.labels));
        expect(pdb).toBeDefined();

        const hpa = objs().find((o) => o.kind === 'HorizontalPodAutoscaler' && o.spec.scaleTargetRef.name === app);
        if (AUTOSCALED.includes(app)) {
          expect(hpa?.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: app });
          // the autoscaler owns the count; a replicas field would be reset on every apply
          expect(deployment!.spec.replicas).toBeUndefined();
          const metrics = hpa!.spec.metrics.map((m: Obj) => m.resource.name).sort();
          expect(metrics).toEqual(['cpu', 'memory']);
        } else {
          expect(hpa).toBeUndefined();
        }
      }
    });

    it('Kubernetes manifests: every container has readiness and liveness probes, resource requests and a memory limit', () => {
      for (const w of workloads(objs())) {
        for (const c of w.spec.template.spec.containers) {
          const where = `${w.kind}/${w.metadata.name} container ${c.name}`;
          expect({ where, readiness: !!c.readinessProbe, liveness: !!c.livenessProbe }).toEqual({ where, readiness: true, liveness: true });
          expect({ where, cpu: c.resources?.requests?.cpu, memory: c.resources?.requests?.memory }).toEqual({
            where,
            cpu: expect.any(String),
            memory: expect.any(String),
          });
          expect({ where, limit: c.resources?.limits?.memory }).toEqual({ where, limit: expect.any(String) });
        }
      }
      // the services' probes are the health endpoints of libs/platform/src/health.ts
      for (const app of Object.keys(APPS)) {
        const c = named(objs(), 'Deployment', app)!.spec.template.spec.containers[0];
        expect(c.readinessProbe.httpGet).toEqual({ path: '/health/ready', port: 'http' });
        expect(c.livenessProbe.httpGet).toEqual({ path: '/health/live', port: 'http' });
      }
    });

    it('Kubernetes manifests: images are pinned by tag (no :latest, no untagged image)', () => {
      for (const w of workloads(objs())) {
        for (const c of [...(w.spec.template.spec.initContainers ?? []), ...w.spec.template.spec.containers]) {
          const image: string = c.image;
          const pinned = /@sha256:[0-9a-f]{64}$/.test(image) || (/:[^/:]+$/.test(image) && !image.endsWith(':latest'));
          expect({ image, pinned }).toEqual({ image, pinned: true });
        }
      }
    });

    it('Kubernetes manifests: pods run as non-root without privilege escalation', () => {
      for (const w of workloads(objs())) {
        const pod = w.spec.template.spec;
        expect({ w: w.metadata.name, nonRoot: pod.securityContext?.runAsNonRoot }).toEqual({ w: w.metadata.name, nonRoot: true });
        for (const c of pod.containers) expect(c.securityContext?.allowPrivilegeEscalation).toBe(false);
      }
    });

    it('Kubernetes manifests: no plaintext secrets in ConfigMaps; secrets reach the pods only through secretKeyRef', () => {
      for (const cm of objs().filter((o) => o.kind === 'ConfigMap')) {
        for (const [key, value] of Object.entries<string>(cm.data ?? {})) {
          // (a path such as SECRETS_DIR names where secrets are, not a secret)
          expect({ cm: cm.metadata.name, key, suspicious: /SECRET|PASSWORD|PASSWD|TOKEN|PRIVATE|CREDENTIAL/i.test(key) && !/_DIR$/.test(key) }).toEqual({
            cm: cm.metadata.name,
            key,
            suspicious: false,
          });
          // no URL with a password (postgres://user:password@host)
          expect(value).not.toMatch(/:\/\/[^/\s:@]+:[^/\s@]+@/);
          // NATS config: every password is an environment reference, never a literal
          for (const m of value.matchAll(/\bpassword:\s*([^\s,}]+)/g)) expect(m[1]).toMatch(/^\$[A-Z0-9_]+$/);
        }
      }
      for (const w of workloads(objs())) {
        for (const c of w.spec.template.spec.containers) {
          for (const e of c.env ?? []) {
            if (/SECRET|PASSWORD|DATABASE_URL/.test(e.name)) {
              expect({ env: `${w.metadata.name}.${e.name}`, fromSecret: !!e.valueFrom?.secretKeyRef }).toEqual({
                env: `${w.metadata.name}.${e.name}`,
                fromSecret: true,
              });
            }
          }
        }
      }
    });

    it('Kubernetes manifests: the services are configured only with variables that AppConfig reads', () => {
      const config = objs().find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('voucher-config'))!;
      for (const key of Object.keys(config.data)) expect({ key, known: configKeys.has(key) || RUNTIME_ENV.has(key) }).toEqual({ key, known: true });
      for (const app of Object.keys(APPS)) {
        const c = named(objs(), 'Deployment', app)!.spec.template.spec.containers[0];
        for (const e of c.env) expect({ app, env: e.name, known: configKeys.has(e.name) || RUNTIME_ENV.has(e.name) }).toEqual({ app, env: e.name, known: true });
      }
    });

    it('Kubernetes manifests: NATS is a 3-node JetStream cluster with file storage and a headless Service; the stream gets 3 replicas', () => {
      const nats = named(objs(), 'StatefulSet', 'nats')!;
      expect(nats.spec.replicas).toBe(3);
      expect(nats.spec.serviceName).toBe('nats-headless');
      expect(named(objs(), 'Service', 'nats-headless')!.spec.clusterIP).toBe('None');
      expect(nats.spec.volumeClaimTemplates[0].spec.accessModes).toEqual(['ReadWriteOnce']);

      const natsConfig = objs().find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('nats-config'))!;
      const conf: string = natsConfig.data['nats.conf'];
      expect(conf).toMatch(/jetstream\s*\{[^}]*store_dir:\s*"\/data"/);
      const routes = [...conf.matchAll(/nats-route:\/\/(nats-\d)\.nats-headless:6222/g)].map((m) => m[1]);
      expect(routes).toEqual(['nats-0', 'nats-1', 'nats-2']);
      // the cluster's users and permissions are the ones tested in nats-permissions.test.ts
      expect(natsConfig.data['accounts.conf']).toBe(readFileSync(join(ROOT, 'deploy/nats/accounts.conf'), 'utf8'));

      const config = objs().find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('voucher-config'))!;
      expect(config.data.NATS_STREAM_REPLICAS).toBe('3');
      expect(config.data.NATS_URL.split(',')).toEqual(['nats-0', 'nats-1', 'nats-2'].map((n) => `nats://${n}.nats-headless:4222`));
    });

    it('Kubernetes manifests: each service finds only its own signing key in SECRETS_DIR (with the trusted keys); the gateway only the identity providers\' keys', () => {
      const config = objs().find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('voucher-config'))!;
      expect(config.data).toMatchObject({ SECRETS_DIR: '/run/secrets/voucher', BIND_ADDRESS: '0.0.0.0' });
      for (const app of ['registry', 'issuance', 'redemption', 'settlement']) {
        expect(secretFiles(objs(), app)).toEqual(['idp/jwks.json', 'service-keys/trusted.jwks.json', `service-keys/${app}.jwk.json`].sort());
        const mount = named(objs(), 'Deployment', app)!.spec.template.spec.containers[0].volumeMounts.find((m: Obj) => m.name === 'secrets');
        expect(mount).toEqual({ name: 'secrets', mountPath: '/run/secrets/voucher', readOnly: true });
      }
      expect(secretFiles(objs(), 'gateway').filter((f) => f.startsWith('service-keys/'))).toEqual([]);
      expect(secretFiles(objs(), 'gateway')).toContain('idp/jwks.json');
    });

    it('Kubernetes manifests: NATS routes are mutual TLS, and NetworkPolicies admit NATS clients, routes and PostgreSQL from their own peers only', () => {
      const natsConfig = objs().find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('nats-config'))!;
      expect(natsConfig.data['nats.conf']).toMatch(/cluster\s*\{[\s\S]*tls\s*\{[\s\S]*verify:\s*true/);
      const nats = named(objs(), 'StatefulSet', 'nats')!.spec.template.spec;
      expect(nats.volumes.find((v: Obj) => v.name === 'route-tls').secret.secretName).toMatch(/^nats-route-tls/);
      const policy = (name: string) => named(objs(), 'NetworkPolicy', name)!;
      expect(policy('default-deny-ingress').spec).toEqual({ podSelector: {}, policyTypes: ['Ingress'] });
      const natsRules = policy('nats').spec.ingress;
      const routeRule = natsRules.find((r: Obj) => r.ports.some((p: Obj) => p.port === 6222));
      expect(routeRule.from).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/name': 'nats' } } }]);
      const clientRule = natsRules.find((r: Obj) => r.ports.some((p: Obj) => p.port === 4222));
      expect(clientRule.from.every((f: Obj) => f.podSelector)).toBe(true);
      const monitorRule = natsRules.find((r: Obj) => r.ports.some((p: Obj) => p.port === 8222));
      expect(monitorRule.from).toEqual([{ namespaceSelector: { matchLabels: { 'voucher.io/monitoring': 'true' } } }]);
      expect(policy('postgres').spec.ingress[0].from).toEqual([{ podSelector: { matchLabels: { 'app.kubernetes.io/component': 'service' } } }]);
    });

    it('Kubernetes manifests: every NATS user of accounts.conf gets its password from the nats-credentials Secret', () => {
      const variables = accountPasswordVariables();
      const nats = named(objs(), 'StatefulSet', 'nats')!.spec.template.spec.containers[0];
      const fromSecret = nats.env
        .filter((e: Obj) => e.valueFrom?.secretKeyRef?.name.startsWith('nats-credentials'))
        .map((e: Obj) => [e.name, e.valueFrom.secretKeyRef.key]);
      expect(fromSecret.map(([name]: string[]) => name).sort()).toEqual(variables);
      for (const [name, key] of fromSecret) expect(key).toBe(name);
      for (const app of Object.keys(APPS)) {
        const c = named(objs(), 'Deployment', app)!.spec.template.spec.containers[0];
        const ref = c.env.find((e: Obj) => e.name === 'NATS_PASSWORD').valueFrom.secretKeyRef;
        expect(ref.key).toBe(`NATS_${app.toUpperCase()}_PASSWORD`);
        expect(variables).toContain(ref.key);
      }
    });
  });

  it('Kubernetes manifests: the local overlay generates every Secret key the pods reference and runs PostgreSQL behind postgres-primary', () => {
    const objs = rendered.get('overlays/local')!;
    for (const ref of secretRefs(objs)) {
      const secret = named(objs, 'Secret', ref.name);
      expect({ ...ref, exists: !!secret?.data?.[ref.key] }).toEqual({ ...ref, exists: true });
    }
    const secret = objs.find((o) => o.kind === 'Secret' && o.metadata.name.startsWith('voucher-secrets'))!;
    const databaseUrl = new URL(Buffer.from(String(secret.data.DATABASE_URL).replace(/\s+/g, ''), 'base64').toString());
    expect(databaseUrl.hostname).toBe('postgres-primary');
    const pg = named(objs, 'Service', 'postgres-primary')!;
    expect(matches(pg.spec.selector, named(objs, 'StatefulSet', 'postgres')!.spec.template.metadata.labels)).toBe(true);
    for (const o of objs) if (o.kind !== 'Namespace') expect(o.metadata.namespace).toBe('voucher-local');
  });

  it('Kubernetes manifests: production carries no Secret (created beforehand) and reaches PostgreSQL through postgres-primary, with a standby Service for read-only use', () => {
    const objs = rendered.get('overlays/production')!;
    expect(objs.filter((o) => o.kind === 'Secret')).toEqual([]);
    const names = new Set(secretRefs(objs).map((r) => `${r.name}/${r.key}`));
    expect([...names].sort()).toEqual(
      [
        'voucher-secrets/DATABASE_URL',
        ...accountPasswordVariables().map((v) => `nats-credentials/${v}`),
        ...['registry', 'issuance', 'redemption', 'settlement'].map((s) => `voucher-service-keys/${s}.jwk.json`),
        'voucher-trust/trusted.jwks.json',
        'voucher-trust/idp-jwks.json',
      ].sort(),
    );
    // gRPC for provider systems: mutual TLS from the Secret redemption-grpc-tls, behind a TCP load balancer
    const redemption = named(objs, 'Deployment', 'redemption')!.spec.template.spec;
    expect(redemption.containers[0].env).toContainEqual({ name: 'GRPC_TLS_DIR', value: '/etc/voucher/grpc-tls' });
    expect(redemption.containers[0].volumeMounts).toContainEqual({ name: 'grpc-tls', mountPath: '/etc/voucher/grpc-tls', readOnly: true });
    expect(redemption.volumes.find((v: Obj) => v.name === 'grpc-tls').secret.secretName).toBe('redemption-grpc-tls');
    const grpc = named(objs, 'Service', 'redemption-grpc')!;
    expect(grpc.spec.type).toBe('LoadBalancer');
    expect(matches(grpc.spec.selector, named(objs, 'Deployment', 'redemption')!.spec.template.metadata.labels)).toBe(true);

    expect(named(objs, 'Service', 'postgres-primary')!.spec.type).toBe('ExternalName');
    expect(named(objs, 'Service', 'postgres-standby')!.spec.type).toBe('ExternalName');
    for (const o of objs) if (o.kind !== 'Namespace') expect(o.metadata.namespace).toBe('voucher');
  });
});
