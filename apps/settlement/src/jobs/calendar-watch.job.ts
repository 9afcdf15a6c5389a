import { Injectable, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { Gauge, register } from 'prom-client';
import { CalendarStatusView } from '@vc/contracts';
import { ReadinessDetails } from '@vc/platform';
import { ListCalendarYearsUseCase } from '../use-cases/calendar/list-calendar-years.use-case';

/**
 * The calendar's state where operators look (SPEC 3): in the readiness details (`calendar`, with
 * its warnings) and in /metrics, read when they are asked for:
 *   vc_calendar_year_loaded{year}     1 when the year's schedule is loaded, for this and next year
 *   vc_calendar_next_year_missing     1 from 1 November (business clock) while next year is not loaded
 * Alert on the second; it stays 0 until November so that a missing year cannot be forgotten in January.
 */

/** The instances of this process that can answer (several in one test process); the newest answers. */
const sources: Array<() => Promise<CalendarStatusView>> = [];

async function latest(): Promise<CalendarStatusView | null> {
  const read = sources[sources.length - 1];
  return read ? read() : null;
}

function gauges(): void {
  if (register.getSingleMetric('vc_calendar_next_year_missing')) return;
  new Gauge({
    name: 'vc_calendar_year_loaded',
    help: "1 when the year's working-day schedule is loaded (this year and next year, business clock)",
    labelNames: ['year'],
    async collect() {
      this.reset();
      const status = await latest().catch(() => null);
      if (!status) return;
      this.set({ year: String(status.currentYear) }, status.currentYearLoaded ? 1 : 0);
      this.set({ year: String(status.nextYear) }, status.nextYearLoaded ? 1 : 0);
    },
  });
  new Gauge({
    name: 'vc_calendar_next_year_missing',
    help: "1 from 1 November (Asia/Shanghai, business clock) while next year's working-day schedule is not loaded",
    async collect() {
      const status = await latest().catch(() => null);
      this.set(status && !status.nextYearLoaded && status.today >= status.nextYearDueFrom ? 1 : 0);
    },
  });
}

@Injectable()
export class CalendarWatch implements OnModuleInit, OnModuleDestroy {
  private readonly read = () => this.calendar.status();

  constructor(private readonly calendar: ListCalendarYearsUseCase, private readonly readiness: ReadinessDetails) {}

  onModuleInit(): void {
    gauges();
    sources.push(this.read);
    this.readiness.add('calendar', async () => {
      const status = await this.read();
      return { ...status, ...(status.warnings.length ? { warning: status.warnings.join(' ') } : {}) };
    });
  }

  onModuleDestroy(): void {
    const i = sources.indexOf(this.read);
    if (i >= 0) sources.splice(i, 1);
    this.readiness.remove('calendar');
  }
}
