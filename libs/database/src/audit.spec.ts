import { toJson } from '@vc/contracts';
import { moneyAsIntegers } from './audit';

describe('audit records', () => {
  it('R-MONEY-1: money in a record is an integer on the wire, whatever form its source gave it', () => {
    const data = { overdueFen: '308641', totalFen: 5n, voucherFen: ['1', '2'], nested: { amountFen: '-7', note: '12' }, items: [{ paidFen: '3' }], runId: '42' };
    expect(JSON.parse(toJson(moneyAsIntegers(data)))).toEqual({ overdueFen: 308641, totalFen: 5, voucherFen: [1, 2], nested: { amountFen: -7, note: '12' }, items: [{ paidFen: 3 }], runId: '42' });
  });

  it('leaves text that is not a decimal integer as it is', () => {
    expect(moneyAsIntegers({ amountFen: '1.5', priceFen: 'n/a', reason: null })).toEqual({ amountFen: '1.5', priceFen: 'n/a', reason: null });
  });
});
