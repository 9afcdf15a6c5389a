import { Module } from '@nestjs/common';
import { ReadAuditUseCase, ServiceDefinition } from '@vc/platform';
import { IssuanceRpcController } from './issuance.rpc.controller';
import { issuanceMigrations } from './migrations';
import { RegionDefaultConsumer } from './region-default.consumer';
import { ClaimQuotaUseCase } from './use-cases/claim-quota.use-case';
import { EnterprisesUseCase } from './use-cases/enterprises.use-case';
import { ProgrammesUseCase } from './use-cases/programmes.use-case';
import { RegionsUseCase } from './use-cases/regions.use-case';

@Module({
  controllers: [IssuanceRpcController],
  providers: [ProgrammesUseCase, RegionsUseCase, EnterprisesUseCase, ClaimQuotaUseCase, ReadAuditUseCase, RegionDefaultConsumer],
})
export class IssuanceModule {}

export const issuanceService: ServiceDefinition = {
  name: 'issuance',
  schema: 'issuance',
  migrations: issuanceMigrations,
  feature: IssuanceModule,
};
