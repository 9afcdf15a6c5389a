import { Body, Controller, Get, HttpCode, Param, Post, Put } from '@nestjs/common';
import { ApiBearerAuth, ApiBody, ApiHeader, ApiOperation, ApiTags } from '@nestjs/swagger';
import { ImportBankReportDto, SetBankAccountDto, Subjects } from '@vc/contracts';
import { Forwarder } from '../http/forwarder';
import { AuthedRequest } from '../http/http-auth.guard';
import { Req } from '../http/principal.decorator';

const S = Subjects.settlement;
const IDEMPOTENCY = { name: 'Idempotency-Key', required: true, description: 'same key + same body returns the first reply' };

/**
 * Payments through the bank (SPEC 5.6 step 3), kept by the settlement service: the accounts a
 * run's pain.001 file names (a programme's paying account, a payee's receiving account) and the
 * bank's answers to it (pain.002, camt.054). The file itself is a run export:
 * `GET /v1/settlement/runs/:runId/exports/instructions.xml`.
 */
@ApiTags('settlement')
@ApiBearerAuth()
@Controller('v1/settlement')
export class BankHttpController {
  constructor(private readonly fwd: Forwarder) {}

  @Put('bank-accounts/:ownerType/:ownerId')
  @ApiOperation({ summary: "Give a programme's paying account (its operator) or a payee's receiving account (the payee): a change is a new version" })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: SetBankAccountDto })
  setAccount(@Req() req: AuthedRequest, @Param('ownerType') ownerType: string, @Param('ownerId') ownerId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.bankAccountSet, { ...body, ownerType, ownerId });
  }

  @Get('bank-accounts/:ownerType/:ownerId')
  @ApiOperation({ summary: 'The current bank account of a programme or payee' })
  getAccount(@Req() req: AuthedRequest, @Param('ownerType') ownerType: string, @Param('ownerId') ownerId: string) {
    return this.fwd.call(req, S.bankAccountGet, { ownerType, ownerId });
  }

  @Post('bank-reports')
  @HttpCode(200)
  @ApiOperation({ summary: "Import the bank's answer to a payment file (pain.002 or camt.054, XML as `content`): instructions settled or returned (programme operator)" })
  @ApiHeader(IDEMPOTENCY)
  @ApiBody({ type: ImportBankReportDto })
  importReport(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.bankReportImport, body);
  }
}
