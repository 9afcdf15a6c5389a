import { Body, Controller, Post } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length } from 'class-validator';
import { Public, TokenService } from '@vc/auth';
import { AppConfig } from '@vc/config';
import { PROVINCES, Role, validateDto } from '@vc/contracts';
import { DomainError, ErrorCode } from '@vc/errors';

export class DevLoginDto {
  @IsIn(Object.values(Role).filter((r) => r !== Role.Service)) role: Role;
  @IsString() @Length(1, 100) org: string;
  @IsOptional() @IsIn(PROVINCES) province?: (typeof PROVINCES)[number];
  @IsOptional() @IsString() @Length(1, 100) sub?: string;
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
  @ApiOperation({ summary: 'Issue a development token (refused in production)' })
  login(@Body() body: unknown) {
    if (this.config.NODE_ENV === 'production') throw new DomainError(ErrorCode.NOT_FOUND, { message: 'no such route' });
    const dto = validateDto(DevLoginDto, body);
    const principal = { sub: dto.sub ?? `${dto.role}-${dto.org}`, role: dto.role, org: dto.org, ...(dto.province ? { province: dto.province } : {}) };
    return { token: this.tokens.sign(principal), principal };
  }
}
