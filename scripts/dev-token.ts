import 'reflect-metadata';
/**
 * Issues a principal token for development and the demo, signed with JWT_SECRET (the development
 * key unless set). Refuses in production mode.
 *   node -r ./scripts/register-paths.js dist/scripts/dev-token.js --role enterprise --org <enterprise id> [--sub u1] [--province JS]
 */
import { TokenService } from '@vc/auth';
import { AppConfig, loadConfig } from '@vc/config';
import { Principal, Role } from '@vc/contracts';

/** Signed as the services verify: JWT_SECRET, JWT_ISSUER and JWT_AUDIENCE of the configuration. */
export function devToken(principal: Principal, config: AppConfig = loadConfig()): string {
  return new TokenService(config).sign(principal, 8 * 3600);
}

if (require.main === module) {
  const args = new Map<string, string>();
  for (let i = 2; i < process.argv.length; i += 2) args.set(process.argv[i].replace(/^--/, ''), process.argv[i + 1]);
  const config = loadConfig();
  if (config.NODE_ENV === 'production') {
    console.error('dev tokens are not issued in production; use your identity provider');
    process.exit(2);
  }
  const role = args.get('role') as Role;
  if (!role || !Object.values(Role).includes(role) || !args.get('org')) {
    console.error(`usage: dev-token --role <${Object.values(Role).join('|')}> --org <organisation> [--sub <user>] [--province SH|JS|ZJ|AH]`);
    process.exit(2);
  }
  console.log(devToken({ role, org: args.get('org')!, sub: args.get('sub') ?? `${role}-dev`, province: args.get('province') as Principal['province'] }, config));
}
