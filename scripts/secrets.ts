/**
 * The system's secrets directory (SECRETS_DIR; layout in libs/auth/src/keys.ts):
 *
 *   npm run secrets -- init <dir> [--development]   NATS passwords, a signing key per service and the
 *                                                   trusted key set; with --development also a development
 *                                                   identity provider and a gRPC development CA with the
 *                                                   server's certificate (marked DEVELOPMENT: refused in
 *                                                   production). Keeps what exists; run it again freely.
 *   npm run secrets -- provider-cert <dir> <unit id> a provider system's gRPC client certificate (CN = the
 *                                                   unit id), signed by the development CA
 *   npm run secrets -- rotate <dir> <service>       a new signing key for a service (the old one stays trusted)
 *   npm run secrets -- retire <dir> <kid>           a key no longer trusted
 *   npm run secrets -- nats-env <dir>               NATS_<USER>_PASSWORD=… lines for nats-server's environment
 *
 * In production the identity provider is the province's own (put its public keys in idp/jwks.json)
 * and the gRPC certificates come from the province's CA (docs/operations.md).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isUuid, SERVICE_NAMES, isServiceName } from '@vc/contracts';
import { retireKey, rotateServiceKey, SecretFiles, writeSecrets } from '@vc/auth';
import { NATS_USERS, passwordVariable } from '@vc/messaging';

function openssl(dir: string, ...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A key (P-256) and a certificate for `cn`, signed by the CA in `dir` (or self-signed: the CA itself). */
function certificate(dir: string, name: string, cn: string, options: { ca?: boolean; san?: string; days: number }): void {
  openssl(dir, 'req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
  if (options.ca) {
    writeFileSync(join(dir, `${name}.ext`), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n');
    openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-signkey', `${name}.key`, '-out', `${name}.crt`, '-days', String(options.days), '-extfile', `${name}.ext`);
  } else {
    writeFileSync(join(dir, `${name}.ext`), options.san ? `subjectAltName=${options.san}\n` : 'basicConstraints=CA:FALSE\n');
    openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', String(options.days), '-extfile', `${name}.ext`);
  }
}

/** The development CA of the provider gRPC interface and the server's certificate (127.0.0.1, localhost). */
export function developmentGrpcCertificates(secrets: string): string {
  const dir = join(secrets, SecretFiles.grpcDir);
  if (existsSync(join(dir, 'server.crt'))) return dir;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  certificate(dir, 'ca', 'voucher-clearing development CA', { ca: true, days: 365 });
  certificate(dir, 'server', 'redemption', { san: 'IP:127.0.0.1,DNS:localhost', days: 365 });
  return dir;
}

/** A provider system's client certificate for one unit (CN = the unit id), signed by the development CA. */
export function providerCertificate(secrets: string, unitId: string): { cert: string; key: string; ca: string } {
  if (!isUuid(unitId)) throw new Error(`${unitId} is not a provider unit id`);
  const dir = developmentGrpcCertificates(secrets);
  const name = `provider-${unitId}`;
  if (!existsSync(join(dir, `${name}.crt`))) certificate(dir, name, unitId, { days: 90 });
  return { cert: join(dir, `${name}.crt`), key: join(dir, `${name}.key`), ca: join(dir, 'ca.crt') };
}

export function initSecrets(dir: string, development: boolean): void {
  writeSecrets(dir, { development, natsUsers: NATS_USERS, services: SERVICE_NAMES, identityProvider: development });
  if (development) developmentGrpcCertificates(dir);
}

/** The environment nats-server reads its users' passwords from (accounts.conf: $NATS_<USER>_PASSWORD). */
export function natsEnv(dir: string): Record<string, string> {
  const env: Record<string, string> = {};
  const natsDir = join(dir, 'nats');
  for (const file of readdirSync(natsDir)) {
    if (!file.endsWith('.password')) continue;
    env[passwordVariable(file.slice(0, -'.password'.length))] = readFileSync(join(natsDir, file), 'utf8').trim();
  }
  return env;
}

function main(argv: string[]): void {
  const [verb, dir, arg] = argv;
  const usage = () => {
    console.error('usage: secrets init <dir> [--development] | provider-cert <dir> <unit id> | rotate <dir> <service> | retire <dir> <kid> | nats-env <dir>');
    process.exit(2);
  };
  if (!verb || !dir) usage();
  switch (verb) {
    case 'init':
      initSecrets(dir, argv.includes('--development'));
      console.log(`[secrets] ${dir} ready${argv.includes('--development') ? ' (development)' : ''}`);
      break;
    case 'provider-cert':
      if (!arg) usage();
      console.log(JSON.stringify(providerCertificate(dir, arg)));
      break;
    case 'rotate':
      if (!isServiceName(arg)) usage();
      console.log(`[secrets] new key ${rotateServiceKey(dir, arg as (typeof SERVICE_NAMES)[number], existsSync(join(dir, 'DEVELOPMENT')))} for ${arg}`);
      break;
    case 'retire':
      if (!arg) usage();
      console.log(retireKey(dir, arg) ? `[secrets] ${arg} is no longer trusted` : `[secrets] no key ${arg}`);
      break;
    case 'nats-env':
      for (const [k, v] of Object.entries(natsEnv(dir))) console.log(`${k}=${v}`);
      break;
    default:
      usage();
  }
}

if (require.main === module) main(process.argv.slice(2));
