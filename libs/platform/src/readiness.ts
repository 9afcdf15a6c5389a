import { Injectable } from '@nestjs/common';

/**
 * What a service adds to its readiness answer beside PostgreSQL and NATS: details an operator
 * should see (e.g. settlement's working-day calendar: next year not loaded yet). A detail never
 * makes an instance unready, since it says nothing about whether this instance can serve;
 * a detail that cannot be read says so in place of its content.
 */
@Injectable()
export class ReadinessDetails {
  private readonly sources = new Map<string, () => Promise<Record<string, unknown>>>();

  add(name: string, read: () => Promise<Record<string, unknown>>): void {
    this.sources.set(name, read);
  }

  remove(name: string): void {
    this.sources.delete(name);
  }

  entries(): Array<[string, () => Promise<Record<string, unknown>>]> {
    return [...this.sources.entries()];
  }
}
