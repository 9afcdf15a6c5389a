import { Controller } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Forwarder } from '../http/forwarder';

/** HTTP routes of the issuance service, forwarded over NATS. */
@ApiTags('issuance')
@Controller('v1')
export class IssuanceHttpController {
  constructor(private readonly fwd: Forwarder) {}
}
