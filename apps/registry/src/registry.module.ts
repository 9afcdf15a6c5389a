import { Module } from '@nestjs/common';
import { ReadAuditUseCase, ServiceDefinition } from '@vc/platform';
import { registryMigrations } from './migrations';
import { RegistryRpcController } from './registry.rpc.controller';
import { ApplyProviderUseCase } from './use-cases/apply-provider.use-case';
import { ComplaintsUseCase } from './use-cases/complaints.use-case';
import { CreditRecordsUseCase } from './use-cases/credit-records.use-case';
import { ExclusionsUseCase } from './use-cases/exclusions.use-case';
import { PublishServiceUseCase } from './use-cases/publish-service.use-case';

import { ProviderQueries } from './use-cases/provider-queries';
import { ReviewProviderUseCase } from './use-cases/review-provider.use-case';

@Module({
  controllers: [RegistryRpcController],
  providers: [
    ApplyProviderUseCase,
    ReviewProviderUseCase,
    ProviderQueries,
    PublishServiceUseCase,
    ComplaintsUseCase,
    CreditRecordsUseCase,
    ExclusionsUseCase,
    ReadAuditUseCase,
  ],
})
export class RegistryModule {}

export const registryService: ServiceDefinition = {
  name: 'registry',
  schema: 'registry',
  migrations: registryMigrations,
  feature: RegistryModule,
};
