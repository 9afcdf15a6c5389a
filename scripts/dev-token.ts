import 'reflect-metadata';
/**
 * Issues a principal token for development and the demo, signed with the development identity
 * provider's key (SECRETS_DIR/idp/signing.jwk.json, made by `npm run secrets`). Refuses in
 * production, where tokens come from the provinces' identity providers.
 *   SECRETS_DIR=.infra/secrets node -r ./scripts/register-paths.js dist/scripts/dev-token.js --role enterprise --org <enterprise id> [--sub u1] [--province JS]
 */
import { TokenIssuer } from '@vc/auth';
import { AppConfig, loadConfig } from '@vc/config';
import { Principal, PROVINCES, Role } from '@vc/contracts';

let issuer: TokenIssuer | null = null;

/** Signed as the services verify: the development identity provider's key, JWT_ISSUER and JWT_AUDIENCE. */
export function devToken(principal: Principal, config: AppConfig = loadConfig()): Promise<string> {
  issuer ??= TokenIssuer.fromSecrets(config);
  return issuer.sign(principal, Math.min(8 * 3600, config.JWT_MAX_TTL_SECONDS));
}

if (require.main === module) {
  const args = new Map<string, string>();
  for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
  const config = loadConfig();
  if (config.NODE_ENV === 'production') {
    console.error('dev tokens are not issued in production (set NODE_ENV=development); use your identity provider');
    process.exit(2);
  }
  const role = args.get('role') as Role;
  if (!role || !Object.values(Role).includes(role) || role === Role.Service || !args.get('org')) {
    console.error(`usage: dev-token --role <${Object.values(Role).filter((r) => r !== Role.Service).join('|')}> --org <organisation> [--sub <user>] [--province ${PROVINCES.join('|')}]`);
    process.exit(2);
  }
  void devToken({ role, org: args.get('org')!, sub: args.get('sub') ?? `${role}-dev`, province: args.get('province') as Principal['province'] }, config).then((t) => console.log(t));
}
