import 'reflect-metadata';
/**
 * Example provider system: one voucher order end to end, over gRPC (default) or NATS.
 * See examples/provider-client/README.md. Built by `npm run build`, run with
 *   node -r ./scripts/register-paths.js dist/scripts/examples/provider-client/main.js
 */
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VoucherRedemptionGrpcClient } from './grpc-client';
import { VoucherRedemptionNatsClient } from './nats-client';

const env = (name: string, fallback?: string): string => {
  const value = process.env[name] ?? fallback;
  if (value === undefined) {
    console.error(`set ${name} (see examples/provider-client/README.md)`);
    process.exit(2);
  }
  return value;
};

/** The operations the example uses, on either transport. */
interface Redemption {
  createOrder(req: { providerId: string; enterpriseId?: string; enterpriseCreditCode?: string; amountFen: bigint; description: string; externalRef?: string }, key?: string): Promise<any>;
  confirmOrder(orderId: string, key?: string): Promise<any>;
  quoteVoucher(orderId: string): Promise<any>;
  payOrder(orderId: string, key?: string): Promise<any>;
  completeOrder(orderId: string, key?: string): Promise<any>;
  getOrder(orderId: string): Promise<any>;
  submitClaim(req: { orderId: string; contractRef: string; invoiceNumber: string; invoiceCode?: string; invoiceAmountFen: bigint; bankTransferRef: string; bankAmountFen: bigint }, key?: string): Promise<any>;
  close(): void | Promise<void>;
}

async function client(token: string): Promise<Redemption> {
  if (env('TRANSPORT', 'grpc') === 'nats') {
    return VoucherRedemptionNatsClient.connect(env('NATS_URL', 'nats://127.0.0.1:14222'), token, { user: env('NATS_USER'), pass: env('NATS_PASSWORD') });
  }
  // mutual TLS: the files named one by one (GRPC_TLS_CA, GRPC_TLS_CERT, GRPC_TLS_KEY), or a directory
  // holding ca.crt, client.crt and client.key (GRPC_TLS_DIR)
  const tlsDir = process.env.GRPC_TLS_DIR;
  const file = (name: string, inDir: string) => process.env[name] ?? (tlsDir ? join(tlsDir, inDir) : undefined);
  const [ca, cert, key] = [file('GRPC_TLS_CA', 'ca.crt'), file('GRPC_TLS_CERT', 'client.crt'), file('GRPC_TLS_KEY', 'client.key')];
  const tls = ca ? { ca: readFileSync(ca), ...(cert ? { cert: readFileSync(cert) } : {}), ...(key ? { key: readFileSync(key) } : {}) } : undefined;
  return new VoucherRedemptionGrpcClient({ address: env('REDEMPTION_GRPC', '127.0.0.1:50051'), token, tls });
}

async function main(): Promise<void> {
  const providerId = env('PROVIDER_ID');
  const amountFen = BigInt(env('AMOUNT_FEN', '1234567'));
  const enterprise = process.env.ENTERPRISE_ID ? { enterpriseId: process.env.ENTERPRISE_ID } : { enterpriseCreditCode: env('ENTERPRISE_CREDIT_CODE') };
  const provider = await client(env('PROVIDER_TOKEN'));
  try {
    const order = await provider.createOrder({ providerId, ...enterprise, amountFen, description: env('DESCRIPTION', '大型仪器机时'), externalRef: `PO-${Date.now()}` });
    console.log(`order ${order.id} created for A = ${order.amountFen} fen in ${order.programmeId}`);
    await provider.confirmOrder(order.id);
    console.log('confirmed by the provider; waiting for the enterprise to confirm in its app …');
    if (process.env.ENTERPRISE_TOKEN) {
      // demo only: the enterprise's confirmation, given in its own app, through the HTTP gateway
      const res = await fetch(`${env('GATEWAY_URL', 'http://127.0.0.1:3000')}/v1/orders/${order.id}/confirm`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${process.env.ENTERPRISE_TOKEN}`, 'Idempotency-Key': randomUUID(), 'Content-Type': 'application/json' },
        body: '{}',
      });
      if (!res.ok) throw new Error(`the enterprise's confirmation was refused: ${res.status} ${await res.text()}`);
    }
    for (let confirmed = order; ; ) {
      confirmed = await provider.getOrder(order.id);
      if (confirmed.status === 'confirmed') break;
      await new Promise((r) => setTimeout(r, 2000));
    }
    const quote = await provider.quoteVoucher(order.id);
    console.log(`quote: V = ${quote.voucherFen} fen (limited by ${quote.limitedBy}), the enterprise pays ${quote.enterprisePaysFen} fen${quote.refusal ? `; refused: ${quote.refusal}` : ''}`);
    // Keep the key with the order: after a timeout, retry with the same key and get the first reply.
    const payKey = randomUUID();
    const paid = await provider.payOrder(order.id, payKey);
    const retried = await provider.payOrder(order.id, payKey);
    console.log(`paid: V = ${paid.voucherFen} fen (programme version ${paid.programmeVersion}); a retry with the same key returned ${JSON.stringify(retried) === JSON.stringify(paid) ? 'the same reply' : 'something else?!'}`);
    await provider.completeOrder(order.id);
    const claim = await provider.submitClaim({
      orderId: order.id,
      contractRef: env('CONTRACT_REF', `HT-${order.id.slice(0, 8)}`),
      // the invoice the provider issued: a digital e-invoice number (20 digits), or with INVOICE_CODE a VAT invoice's 8-digit number
      invoiceNumber: env('INVOICE_NUMBER', `2632100${String(Date.now()).padStart(13, '0')}`),
      ...(process.env.INVOICE_CODE ? { invoiceCode: process.env.INVOICE_CODE } : {}),
      invoiceAmountFen: amountFen,
      bankTransferRef: env('BANK_TRANSFER_REF', `BK-${order.id.slice(0, 8)}`),
      bankAmountFen: BigInt(paid.enterprisePaysFen),
    });
    console.log(`claim ${claim.id}: ${claim.status}, payee ${claim.payeeType} ${claim.payeeId}, V = ${claim.voucherFen} fen`);
  } catch (err) {
    console.error(`refused: ${(err as Error).message}`);
    process.exitCode = 1;
  } finally {
    await provider.close();
  }
}

void main();
