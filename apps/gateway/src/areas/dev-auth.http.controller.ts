import { Body, Controller, Post } from '@nestjs/common';
import { ApiProperty, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { Public, TokenService } from '@vc/auth';
import { AppConfig } from '@vc/config';
import { PROVINCES, Role, validateDto } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';
import { ApiOp } from '../http/api-operation';

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

/**
 * Development and demo sign-in: issues a token for any principal. Not available in production,
 * where tokens come from the province's identity provider (docs/operations.md).
 */
@ApiTags('auth')
@Controller('v1/auth')
export class DevAuthHttpController {
  constructor(private readonly tokens: TokenService, private readonly config: AppConfig) {}

  @Public()
  @Post('dev-login')
  @ApiOp({
    id: 'devLogin',
    auth: 'optional',
    summary: 'Issue a development token (not available in production)',
    description: 'Development and demo only; in production tokens come from the identity provider and this route answers 404.',
    body: DevLoginDto,
    example: { role: 'delta_operator', org: 'DELTA' },
    reply: DevLoginView,
    refusals: [ErrorCode.NOT_FOUND],
  })
  login(@Body() body: unknown): DevLoginView {
    if (this.config.NODE_ENV === 'production') throw new DomainError(ErrorCode.NOT_FOUND, { message: 'no such route' });
    const dto = validateDto(DevLoginDto, body);
    const principal = { sub: dto.sub ?? `${dto.role}-${dto.org}`, role: dto.role, org: dto.org, ...(dto.province ? { province: dto.province } : {}) };
    return { token: this.tokens.sign(principal), principal };
  }
}
