import { Body, Controller, Get, Param, Post, Put } from '@nestjs/common';
import { ApiParam, ApiTags } from '@nestjs/swagger';
import { BankAccountSetView, BankAccountView, BANK_ACCOUNT_OWNERS, BankReportView, ImportBankReportDto, SetBankAccountDto, Subjects } from '@vc/contracts';
import { ErrorCode as E } from '@vc/errors';
import { ApiOp } from '../http/api-operation';
import { Forwarder } from '../http/forwarder';
import { AuthedRequest } from '../http/http-auth.guard';
import { Req } from '../http/principal.decorator';

const S = Subjects.settlement;

/**
 * Payments through the bank (SPEC 5.6 step 3, ADR 0009), kept by the settlement service: the
 * accounts a run's pain.001 file names (a programme's paying account, a payee's receiving account)
 * and the bank's answers to it (pain.002, camt.054). The file itself is a run export:
 * `GET /v1/settlement/runs/:runId/exports/instructions.xml`.
 */
@ApiTags('settlement')
@Controller('v1/settlement')
export class BankHttpController {
  constructor(private readonly fwd: Forwarder) {}

  @Put('bank-accounts/:ownerType/:ownerId')
  @ApiParam({ name: 'ownerType', enum: [...BANK_ACCOUNT_OWNERS] })
  @ApiParam({ name: 'ownerId', description: 'programme id (JS-2026), provider unit id or enterprise id' })
  @ApiOp({
    id: 'setBankAccount',
    summary: "Give a programme's paying account (its operator) or a payee's receiving account (the payee itself): a change is a new version",
    body: { dto: SetBankAccountDto, omit: ['ownerType', 'ownerId'], name: 'SetBankAccountBody' },
    example: { holderName: '南京示范大学', holderCreditCode: '12320000466002489N', accountNumber: '32001881236052500001', bankName: '中国建设银行南京城南支行', bankCode: '105301000123' },
    reply: BankAccountSetView,
    idempotency: 'required',
    refusals: [E.NOT_FOUND],
  })
  setBankAccount(@Req() req: AuthedRequest, @Param('ownerType') ownerType: string, @Param('ownerId') ownerId: string, @Body() body: Record<string, unknown>) {
    return this.fwd.call(req, S.bankAccountSet, { ...body, ownerType, ownerId });
  }

  @Get('bank-accounts/:ownerType/:ownerId')
  @ApiParam({ name: 'ownerType', enum: [...BANK_ACCOUNT_OWNERS] })
  @ApiParam({ name: 'ownerId', description: 'programme id (JS-2026), provider unit id or enterprise id' })
  @ApiOp({ id: 'getBankAccount', summary: 'The current bank account of a programme or payee', reply: BankAccountView, refusals: [E.NOT_FOUND] })
  getBankAccount(@Req() req: AuthedRequest, @Param('ownerType') ownerType: string, @Param('ownerId') ownerId: string) {
    return this.fwd.call(req, S.bankAccountGet, { ownerType, ownerId });
  }

  @Post('bank-reports')
  @ApiOp({
    id: 'importBankReport',
    summary: "Import the bank's answer to a payment file (pain.002 or camt.054 XML as `content`): instructions settled or returned (programme operator)",
    body: ImportBankReportDto,
    reply: BankReportView,
    status: 200,
    idempotency: 'required',
    refusals: [E.ALREADY_EXISTS],
  })
  importBankReport(@Req() req: AuthedRequest, @Body() body: unknown) {
    return this.fwd.call(req, S.bankReportImport, body);
  }
}
