import { Body, Controller, Post } from '@nestjs/common';
import { ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { Public, TokenIssuer } from '@vc/auth';
import { AppConfig } from '@vc/config';
import { PROVINCES, Role, validateDto } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { ApiOp } from '../http/api-operation';
import { AuthedRequest } from '../http/http-auth.guard';
import { Req } from '../http/principal.decorator';

export class DevLoginDto {
  @IsIn(Object.values(Role).filter((r) => r !== Role.Service)) role: Role;
  @IsString() @Length(1, 100) org: string;
  @IsOptional() @IsIn(PROVINCES) province?: (typeof PROVINCES)[number];
  @IsOptional() @IsString() @Length(1, 100) sub?: string;
}

export class PrincipalView {
  @ApiProperty() sub: string;
  @ApiProperty({ enum: Object.values(Role).filter((r) => r !== Role.Service) }) role: Role;
  @ApiProperty({ description: 'the organisation: enterprise id, provider unit id, region id, province code, DELTA or AUDIT' }) org: string;
  @ApiProperty({ enum: PROVINCES, required: false }) province?: (typeof PROVINCES)[number];
}

export class DevLoginView {
  @ApiProperty({ description: 'a bearer token of the principal' }) token: string;
  @ApiProperty({ type: PrincipalView }) principal: PrincipalView;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);

/**
 * Development and demo sign-in: issues a token for any principal, signed with the development
 * identity provider's key. Mounted only when DEV_SIGN_IN=true (refused in production), and it
 * answers callers on this machine only; in production tokens come from the provinces' identity
 * providers (docs/operations.md).
 */
@ApiTags('auth')
@Controller('v1/auth')
export class DevAuthHttpController {
  private readonly issuer: TokenIssuer;

  constructor(private readonly config: AppConfig) {
    this.issuer = TokenIssuer.fromSecrets(config);
  }

  @Public()
  @Post('dev-login')
  @ApiOp({
    id: 'devLogin',
    auth: 'optional',
    summary: 'Issue a development token (DEV_SIGN_IN=true only, loopback callers only)',
    description:
      'Development and demo only: the route exists only when the gateway runs with DEV_SIGN_IN=true (refused in production) and answers callers on its own machine; in production tokens come from the identity providers.',
    body: DevLoginDto,
    example: { role: 'delta_operator', org: 'DELTA' },
    reply: DevLoginView,
    refusals: [ErrorCode.NOT_FOUND],
  })
  async login(@Req() req: AuthedRequest, @Body() body: unknown): Promise<DevLoginView> {
    // The socket's own address (the gateway does not trust X-Forwarded-For).
    if (!LOOPBACK.has(req.socket?.remoteAddress ?? '')) throw new DomainError(ErrorCode.NOT_FOUND, { message: 'no such route' });
    const dto = validateDto(DevLoginDto, body);
    const principal = { sub: dto.sub ?? `${dto.role}-${dto.org}`, role: dto.role, org: dto.org, ...(dto.province ? { province: dto.province } : {}) };
    return { token: await this.issuer.sign(principal, this.config.JWT_TTL_SECONDS), principal };
  }
}
