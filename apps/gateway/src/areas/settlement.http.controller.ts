import { Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Forwarder } from '../http/forwarder';

/** HTTP routes of the settlement service, forwarded over NATS. */
@ApiTags('settlement')
@Controller('v1')
export class SettlementHttpController {
  constructor(private readonly fwd: Forwarder) {}
}
