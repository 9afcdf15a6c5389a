import { Module } from '@nestjs/common';
import { ReadAuditUseCase, ServiceDefinition } from '@vc/platform';
import { QuotaLapsedConsumer } from './consumers/quota-lapsed.consumer';
import { RegionDefaultConsumer } from './consumers/region-default.consumer';
import { IssuanceRpcController } from './issuance.rpc.controller';
import { issuanceMigrations } from './migrations';
import { ChangeProgrammeUseCase } from './use-cases/change-programme.use-case';
import { ClaimQuotaUseCase } from './use-cases/claim-quota.use-case';
import { CloseProgrammeUseCase } from './use-cases/close-programme.use-case';
import { CreateProgrammeUseCase } from './use-cases/create-programme.use-case';
import { CreateRegionUseCase } from './use-cases/create-region.use-case';
import { DecideEnterpriseUseCase } from './use-cases/decide-enterprise.use-case';
import { EnterpriseQueries } from './use-cases/enterprise-queries';
import { OpenProgrammeUseCase } from './use-cases/open-programme.use-case';
import { ProgrammeQueries } from './use-cases/programme-queries';
import { QuotaQueries } from './use-cases/quota-queries';
import { RegionQueries } from './use-cases/region-queries';
import { RegisterEnterpriseUseCase } from './use-cases/register-enterprise.use-case';
import { SetSmeRegistrationUseCase } from './use-cases/set-sme-registration.use-case';
import { UpdateRegionUseCase } from './use-cases/update-region.use-case';

/** Programmes and their versions, linked regions, enterprises and quota grants (ADR 0003: grants, not balances). */
@Module({
  controllers: [IssuanceRpcController],
  providers: [
    CreateProgrammeUseCase,
    ChangeProgrammeUseCase,
    OpenProgrammeUseCase,
    CloseProgrammeUseCase,
    ProgrammeQueries,
    CreateRegionUseCase,
    UpdateRegionUseCase,
    RegionQueries,
    RegisterEnterpriseUseCase,
    DecideEnterpriseUseCase,
    SetSmeRegistrationUseCase,
    EnterpriseQueries,
    ClaimQuotaUseCase,
    QuotaQueries,
    ReadAuditUseCase,
    RegionDefaultConsumer,
    QuotaLapsedConsumer,
  ],
})
export class IssuanceModule {}

export const issuanceService: ServiceDefinition = {
  name: 'issuance',
  schema: 'issuance',
  migrations: issuanceMigrations,
  feature: IssuanceModule,
};
