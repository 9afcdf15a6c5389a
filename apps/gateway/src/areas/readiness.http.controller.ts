import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ReadinessQueryDto, ArrivalView, ServiceArrivalView, Subjects } from '@vc/contracts';
import { ApiOp } from '../http/api-operation';
import { Forwarder } from '../http/forwarder';
import { AuthedRequest } from '../http/http-auth.guard';
import { Req } from '../http/principal.decorator';

/**
 * Reads lag writes (docs/DEVELOPING.md, "Which reads lag which writes"): a provider admitted, an
 * enterprise approved or a programme opened reaches redemption and settlement through events a
 * moment later. A client asks both here whether they have heard of it, and waits for `ready`.
 */
@ApiTags('readiness')
@Controller('v1')
export class ReadinessHttpController {
  constructor(private readonly fwd: Forwarder) {}

  @Get('readiness')
  @ApiOp({
    id: 'getReadiness',
    summary: 'Whether redemption and settlement have heard of a provider, enterprise, programme or region yet (reads lag writes); wait for ready before the first order or run',
    query: ReadinessQueryDto,
    reply: ArrivalView,
  })
  async getReadiness(@Req() req: AuthedRequest, @Query() q: Record<string, string>): Promise<ArrivalView> {
    const { providerId, enterpriseId, programmeId, regionId, ...rest } = Forwarder.query(q) as Record<string, unknown>;
    // an unknown parameter is refused by the services' DTO, by name
    const [redemption, settlement] = await Promise.all([
      this.fwd.call<ServiceArrivalView>(req, Subjects.redemption.readinessGet, { ...rest, ...defined({ providerId, enterpriseId, programmeId }) }),
      this.fwd.call<ServiceArrivalView>(req, Subjects.settlement.readinessGet, { ...rest, ...defined({ enterpriseId, programmeId, regionId }) }),
    ]);
    return { redemption, settlement, ready: redemption.ready && settlement.ready };
  }
}

function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
