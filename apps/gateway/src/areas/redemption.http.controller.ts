import { Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Forwarder } from '../http/forwarder';

/** HTTP routes of the redemption service, forwarded over NATS. */
@ApiTags('redemption')
@Controller('v1')
export class RedemptionHttpController {
  constructor(private readonly fwd: Forwarder) {}
}
