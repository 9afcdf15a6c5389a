import 'reflect-metadata';
/**
 * Issues a principal token for development and the demo, signed with JWT_SECRET (the development
 * key unless set). Refuses in production mode.
 *   node -r ./scripts/register-paths.js dist/scripts/dev-token.js --role enterprise --org <enterprise id> [--sub u1] [--province JS]
 */
import { JwtService } from '@nestjs/jwt';
import { loadConfig } from '@vc/config';
import { Principal, Role } from '@vc/contracts';

export function devToken(principal: Principal, secret = loadConfig().JWT_SECRET): string {
  const { sub, role, org, province } = principal;
  return new JwtService({ secret }).sign({ role, org, ...(province ? { province } : {}) }, { subject: sub, expiresIn: 8 * 3600 });
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
  console.log(devToken({ role, org: args.get('org')!, sub: args.get('sub') ?? `${role}-dev`, province: args.get('province') as Principal['province'] }, config.JWT_SECRET));
}
