/**
 * R-CLAIM-2: an invoice backs at most one claim in the whole delta, so two claims must not cite
 * the same invoice under two spellings. Invoices are compared by a canonical key:
 * - the text is normalised (Unicode NFKC: full-width digits and letters become ASCII), upper-cased,
 *   and stripped of white space, separators and punctuation;
 * - it must then be one of the invoice forms in use in China:
 *   - a fully digital e-invoice (数电发票): a 20-digit number — 2 digits of year, 2 of the
 *     province-level region (行政区划代码) that issued it, 1 of the issuing channel, 15 of sequence;
 *   - an older VAT invoice (增值税专用/普通发票): an invoice code of 10 or 12 digits and an invoice
 *     number of 8 digits, given as two fields.
 * The key names the form, so that a VAT invoice and a digital one never collide.
 */
export type InvoiceForm = 'digital' | 'vat';

export interface InvoiceIdentity {
  form: InvoiceForm;
  /** the canonical key two claims are compared by */
  key: string;
  /** the number as normalised digits */
  number: string;
  code?: string;
}

export interface InvoiceRefusal {
  field: 'invoiceNumber' | 'invoiceCode';
  message: string;
}

/**
 * Province-level administrative region codes (GB/T 2260, first two digits) of the mainland, where
 * a digital e-invoice is issued.
 */
const REGION_CODES = new Set([
  '11', '12', '13', '14', '15', '21', '22', '23', '31', '32', '33', '34', '35', '36', '37', '41', '42', '43', '44', '45', '46', '50', '51', '52', '53', '54', '61', '62',
  '63', '64', '65',
]);

/** Upper case, NFKC, without white space, separators or punctuation (anything but letters and digits). */
export function canonicalInvoiceText(raw: string): string {
  return raw.normalize('NFKC').toUpperCase().replace(/[^\p{L}\p{N}]/gu, '');
}

export function invoiceIdentity(rawNumber: string, rawCode?: string | null): InvoiceIdentity | InvoiceRefusal {
  const number = canonicalInvoiceText(rawNumber);
  if (rawCode !== undefined && rawCode !== null && rawCode !== '') {
    const code = canonicalInvoiceText(rawCode);
    if (!/^(\d{10}|\d{12})$/.test(code)) return { field: 'invoiceCode', message: 'invoiceCode of a VAT invoice is 10 or 12 digits' };
    if (!/^\d{8}$/.test(number)) return { field: 'invoiceNumber', message: 'invoiceNumber of a VAT invoice (with invoiceCode) is 8 digits' };
    return { form: 'vat', key: `V${code}-${number}`, number, code };
  }
  if (!/^\d{20}$/.test(number)) {
    return {
      field: 'invoiceNumber',
      message: 'invoiceNumber must be the 20-digit number of a fully digital e-invoice, or, with invoiceCode, the 8-digit number of a VAT invoice',
    };
  }
  if (!REGION_CODES.has(number.slice(2, 4))) {
    return { field: 'invoiceNumber', message: `invoiceNumber ${number}: digits 3-4 (${number.slice(2, 4)}) are not a province-level region code` };
  }
  return { form: 'digital', key: `D${number}`, number };
}

export function isInvoiceRefusal(x: InvoiceIdentity | InvoiceRefusal): x is InvoiceRefusal {
  return 'field' in x;
}

/**
 * A well-formed digital e-invoice number: year (2 digits), province-level region code, issuing
 * channel 1, and a 15-digit sequence (for examples, the demo and tests; real numbers come from the
 * tax authority's platform).
 */
export function makeDigitalInvoiceNumber(year: number, region: string, sequence: bigint | number): string {
  if (!REGION_CODES.has(region)) throw new Error(`${region} is not a province-level region code`);
  return `${String(year % 100).padStart(2, '0')}${region}1${BigInt(sequence).toString().padStart(15, '0').slice(-15)}`;
}
