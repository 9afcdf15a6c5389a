/**
 * The benchmark's ceiling: the least work a payment can do — a NATS request to a minimal NestJS
 * handler (same transport strategy, serializer and queue group as the real services) doing one conditional
 * UPDATE on PostgreSQL.
 */
import 'reflect-metadata';
import { Controller, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { MessagePattern, MicroserviceOptions, Payload } from '@nestjs/microservices';
import { Pool } from 'pg';
import { inboxPrefix, JsonReplySerializer, JsonRequestDeserializer, VoucherNatsServer } from '@vc/messaging';

const pool = new Pool({ connectionString: process.env.DATABASE_URL, max: Number(process.env.DB_POOL_SIZE ?? 10) });

@Controller()
class CeilingController {
  @MessagePattern('bench.ceiling')
  async take(@Payload() body: { account: number }) {
    const { rows } = await pool.query('UPDATE bench.accounts SET left_fen = left_fen - 1 WHERE id = $1 AND left_fen >= 1 RETURNING left_fen', [body.account]);
    return { left: rows[0]?.left_fen ?? null };
  }
}

@Module({ controllers: [CeilingController] })
class CeilingModule {}

async function main() {
  await pool.query('CREATE SCHEMA IF NOT EXISTS bench');
  await pool.query('CREATE TABLE IF NOT EXISTS bench.accounts (id int PRIMARY KEY, left_fen bigint NOT NULL)');
  await pool.query('INSERT INTO bench.accounts SELECT g, 1000000000 FROM generate_series(1, 1000) g ON CONFLICT DO NOTHING');
  const app = await NestFactory.createMicroservice<MicroserviceOptions>(
    CeilingModule,
    {
      // the bench's own NATS user (scripts/bench/bench.ts), locked down like a service's: this subject
      // in this queue group, and replies
      strategy: new VoucherNatsServer({ servers: process.env.NATS_URL, user: 'bench', pass: process.env.BENCH_NATS_PASSWORD, inboxPrefix: inboxPrefix('bench'), noAsyncTraces: true, queue: 'bench', serializer: new JsonReplySerializer(), deserializer: new JsonRequestDeserializer() }),
      logger: ['error'],
    },
  );
  await app.listen();
  console.log('ceiling service ready');
}

void main();
