import fc from 'fast-check';
import { canonicalInvoiceText, invoiceIdentity, isInvoiceRefusal } from './invoice';

const key = (n: string, c?: string) => {
  const id = invoiceIdentity(n, c);
  return isInvoiceRefusal(id) ? `refused:${id.field}` : id.key;
};

/** Full-width form of ASCII digits and letters (U+FF10…): NFKC maps them back. */
const fullWidth = (s: string) => s.replace(/[0-9A-Za-z]/g, (ch) => String.fromCharCode(ch.charCodeAt(0) + 0xfee0));

describe('invoice identity (R-CLAIM-2: one invoice backs one claim, whatever its spelling)', () => {
  it('R-CLAIM-2: a digital e-invoice number is the same invoice with separators, spaces, full-width digits or lower case', () => {
    const n = '26327000000012345678';
    for (const spelled of [n, '2632-7000-0000-1234-5678', ' 26 32 70 00 00 00 12 34 56 78 ', fullWidth(n), `${n.slice(0, 10)}／${n.slice(10)}`, `${n.slice(0, 4)}.${n.slice(4)}`]) {
      expect({ spelled, key: key(spelled) }).toEqual({ spelled, key: `D${n}` });
    }
  });

  it('R-CLAIM-2: "1234-5678" and "12345678" are one VAT invoice number under one code; code and number are both needed', () => {
    expect(key('1234-5678', '3200194130')).toBe(key('12345678', '3200194130'));
    expect(key('１２３４５６７８', '032001900111')).toBe('V032001900111-12345678');
    expect(key('12345678', '3200194130')).not.toBe(key('12345678', '3200194131'));
    expect(key('12345678')).toBe('refused:invoiceNumber');
    expect(key('1234567', '3200194130')).toBe('refused:invoiceNumber');
    expect(key('12345678', '32001941')).toBe('refused:invoiceCode');
  });

  it('R-CLAIM-2: a VAT invoice and a digital e-invoice never share a key, even with the same 20 digits', () => {
    expect(key('00000000', '263270000000')).not.toBe(key('26327000000000000000'));
  });

  it('refuses what is no invoice of those forms: letters, wrong length, an unknown region', () => {
    for (const bad of ['INV-2026-0001', '2632700000001234567', '263270000000123456789', '26997000000012345678', '26327000000012345A78', '二六三二七０００']) {
      expect({ bad, key: key(bad) }).toEqual({ bad, key: 'refused:invoiceNumber' });
    }
  });

  it('the key is the same for every spelling of a valid number (property)', () => {
    const digital = fc
      .tuple(fc.integer({ min: 20, max: 99 }), fc.constantFrom('11', '31', '32', '33', '34', '44', '65'), fc.stringMatching(/^\d{16}$/))
      .map(([y, r, rest]) => `${y}${r}${rest}`);
    const separators = fc.array(fc.constantFrom(' ', '-', '/', '.', '\u3000', '\u2014', '_', '，'), { maxLength: 4 });
    fc.assert(
      fc.property(digital, separators, fc.boolean(), (n, seps, wide) => {
        let spelled = wide ? fullWidth(n) : n;
        for (const [i, s] of seps.entries()) {
          const at = Math.min(spelled.length, 3 + i * 4);
          spelled = spelled.slice(0, at) + s + spelled.slice(at);
        }
        return key(spelled) === `D${n}` && canonicalInvoiceText(spelled) === n;
      }),
    );
  });
});
