import { INestApplication } from '@nestjs/common';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BrowserContext, chromium, Page } from 'playwright-core';
import { Subjects } from '@vc/contracts';
import { Clock } from '@vc/platform';
import { quotaArrived, serveAndClaim, startDeltaServices } from '../../fixtures/services';
import { eventually, freePort, sql, TestSystem } from '@vc/testing';
import { bootstrapGateway } from '../../../apps/gateway/src/bootstrap';
import { newCreditCode } from '../../fixtures/credit-codes';
import { approvedEnterprise, createRegion, key, openProgramme } from '../../fixtures/issuance';
import { operatorOf, providerAccount } from '../../fixtures/principals';
import { newInvoiceNumber } from '../../fixtures/invoices';

const CHROMIUM = '/usr/bin/chromium';
const SCREENSHOTS = join(__dirname, '..', '..', '..', 'docs', 'screenshots');
const T = Subjects.settlement;

/**
 * The web pages in headless Chromium against the whole system (all five services, real
 * PostgreSQL + NATS, simulated clock): the public publicity page (R-PUB-1 objection → held) and
 * the operator console (review, run, publish, disburse, statement download).
 */
const suite = existsSync(CHROMIUM) ? describe : describe.skip;
if (!existsSync(CHROMIUM)) {
  console.warn(`tests/e2e/web: ${CHROMIUM} not found, browser tests skipped (apt-get install -y chromium)`);
}

suite('web: publicity page and operator console in headless Chromium (all services, real PostgreSQL + NATS)', () => {
  let sys: TestSystem;
  let gateway: INestApplication;
  let context: BrowserContext;
  let page: Page;
  let base: string;
  let profile: string;
  const apps: INestApplication[] = [];
  const clock = { CLOCK_MODE: 'simulated' as const, SIMULATED_NOW: '2026-07-06T09:00:00+08:00' };
  const setNow = (instant: string) => apps.forEach((app) => app.get(Clock).set(new Date(instant)));
  const browserErrors: string[] = [];
  let zjEnterpriseName = '';
  let jsClaimIds: string[] = [];
  let firstInvoice = '';

  beforeAll(async () => {
    sys = await TestSystem.start();
    apps.push(...(await startDeltaServices(sys, clock)).apps);
    const port = await freePort();
    gateway = await bootstrapGateway(sys.config({ ...clock, HTTP_PORT: port, DEV_SIGN_IN: 'true' }), true);
    base = `http://127.0.0.1:${port}`;

    await seedQuarter();

    profile = mkdtempSync(join(tmpdir(), 'vc-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      acceptDownloads: true,
      // a zone far from Shanghai: the page must still show Asia/Shanghai times
      timezoneId: 'America/New_York',
      locale: 'zh-CN',
      viewport: { width: 1280, height: 900 },
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (err) => browserErrors.push(err.message));
    // 4xx replies are expected (validation); a script error or a 5xx is not
    page.on('response', (res) => {
      if (res.status() >= 500) browserErrors.push(`${res.status()} ${res.url()}`);
    });
    mkdirSync(SCREENSHOTS, { recursive: true });
  }, 180000);

  afterAll(async () => {
    await page?.screenshot({ path: join(tmpdir(), 'vc-web-last.png'), fullPage: true }).catch(() => undefined);
    await context?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
    await gateway?.close();
    await sys?.stop();
  });

  /** The seeding of tests/e2e/quarter.lifecycle.test.ts: providers, programmes, enterprises, quota, orders, claims. */
  async function seedQuarter() {
    const admit = async (province: 'SH' | 'JS' | 'ZJ', legalName: string, unitName: string, kind: string) => {
      const code = newCreditCode();
      const p = await sys.client.ok(Subjects.registry.providerApply, { creditCode: code, legalName, unitName, kind, province }, { principal: providerAccount(code), idempotencyKey: key() });
      return { ...p, principal: providerAccount(code) };
    };
    const shCentre = await admit('SH', '上海示范大学', '分析测试中心', 'testing_centre');
    const zjLab = await admit('ZJ', '浙江示范研究院', '重点实验室', 'key_laboratory');
    const jsCollege = await admit('JS', '南京示范大学', '材料学院', 'college');

    await openProgramme(sys.client, 'JS', 2026, { budgetFen: 100_000_000 });
    await openProgramme(sys.client, 'ZJ', 2026, { budgetFen: 100_000_000 });
    const suzhou = await createRegion(sys.client, 'JS', '苏州工业园区');
    const hangzhou = await createRegion(sys.client, 'ZJ', '杭州高新区');
    const jsEnt = await approvedEnterprise(sys.client, suzhou.id, 'JS', 2026, '苏州光子芯片科技有限公司');
    const zjEnt = await approvedEnterprise(sys.client, hangzhou.id, 'ZJ', 2026, '杭州微生物检测科技有限公司');
    zjEnterpriseName = zjEnt.name;
    await sys.client.ok(Subjects.issuance.quotaClaim, { enterpriseId: jsEnt.id, amountFen: 10_000_000 }, { principal: jsEnt.principal, idempotencyKey: key() });
    await sys.client.ok(Subjects.issuance.quotaClaim, { enterpriseId: zjEnt.id, amountFen: 5_000_000 }, { principal: zjEnt.principal, idempotencyKey: key() });
    await quotaArrived(sys.client, 'JS-2026', jsEnt, 10_000_000);
    await quotaArrived(sys.client, 'ZJ-2026', zjEnt, 5_000_000);

    let invoice = 0;
    const serve = async (provider: typeof shCentre, ent: typeof jsEnt, amountFen: number) =>
      (await serveAndClaim(sys.client, provider, ent, amountFen, { contractRef: `HT-${++invoice}`, invoiceNumber: newInvoiceNumber(), bankTransferRef: `BK-${invoice}` })).claim;
    const firstClaim = await serve(shCentre, jsEnt, 1_234_567);
    firstInvoice = firstClaim.invoiceNumber;
    jsClaimIds = [firstClaim.id, (await serve(zjLab, jsEnt, 2_000_000)).id];
    await serve(jsCollege, zjEnt, 800_000);

    // settlement learns the claims from the event stream
    await eventually(async () => {
      const rows = await sql(sys.db.url, `SELECT count(*)::int AS n FROM settlement.claims`);
      return rows[0].n === 3;
    }, 20000);

    // After the quarter: Zhejiang publishes its list through the services (Fri 2026-10-09, closes end of Thu 10-15)
    setNow('2026-10-09T10:00:00+08:00');
    const op = operatorOf('ZJ');
    const run = await sys.client.ok(T.runStart, { programmeId: 'ZJ-2026', quarter: '2026Q3', sampleRateBp: 0 }, { principal: op, idempotencyKey: key() });
    await sys.client.ok(T.runReview, { runId: run.id, approveAll: true }, { principal: op, idempotencyKey: key() });
    await sys.client.ok(T.runPublish, { runId: run.id }, { principal: op, idempotencyKey: key() });
  }

  it('R-PUB-1: the public page lists the open publicity with Shanghai closing time; an objection is validated per field, filed, and the claim shows held', async () => {
    await page.goto(`${base}/publicity.html`);
    const card = page.locator('section.run', { hasText: 'ZJ-2026' });
    await card.waitFor();
    await expect(card.locator('.closes').textContent()).resolves.toBe('2026-10-15 24:00');
    const row = card.locator('tbody tr', { hasText: zjEnterpriseName });
    await expect(row.textContent()).resolves.toContain('¥8,000.00'); // A = 800,000 fen
    await expect(row.textContent()).resolves.toContain('¥2,000.00'); // V = 25 %
    await expect(row.locator('.badge').textContent()).resolves.toBe('公示中');

    await row.locator('button.object').click();
    const form = page.locator('#objection-form');
    await form.waitFor();
    // empty fields: a message under each
    await form.locator('button[type=submit]').click();
    for (const f of ['objectorName', 'objectorContact', 'reason']) {
      await expect(form.locator(`.field-error[data-for=${f}]`).textContent()).resolves.toBe('此项必填。');
    }
    // the API refuses a contact that is neither a phone number nor an e-mail address, naming the field: shown under the contact field with the hint
    await form.locator('[name=objectorName]').fill('张三');
    await form.locator('[name=objectorContact]').fill('12');
    await form.locator('[name=reason]').fill('该服务未实际发生，发票存疑。');
    await form.locator('button[type=submit]').click();
    const contactError = form.locator('.field-error[data-for=objectorContact]');
    await expect(contactError.filter({ hasText: '带区号的固定电话' }).waitFor()).resolves.toBeUndefined();
    await expect(contactError.textContent()).resolves.toContain('objectorContact');
    await expect(form.locator('.field-error[data-for=objectorName]').textContent()).resolves.toBe('');
    await expect(form.locator('[name=reason]').inputValue()).resolves.toBe('该服务未实际发生，发票存疑。');

    await form.locator('[name=objectorContact]').fill('13800138000');
    await form.locator('button[type=submit]').click();
    await page.locator('#objection-notice', { hasText: '异议已提交' }).waitFor();
    await page.locator('section.run tbody tr', { hasText: zjEnterpriseName }).locator('.badge.held').waitFor();
    await expect(page.locator('section.run tbody tr', { hasText: zjEnterpriseName }).locator('.badge').textContent()).resolves.toBe('暂缓（有异议）');

    const objections = await sql(sys.db.url, `SELECT objector_name, objector_contact, status FROM settlement.objections`);
    expect(objections).toEqual([{ objector_name: '张三', objector_contact: '13800138000', status: 'open' }]);
    await page.screenshot({ path: join(SCREENSHOTS, 'publicity.png'), fullPage: true });

    // English labels
    await page.locator('#lang').selectOption('en');
    await expect(page.locator('section.run tbody tr', { hasText: zjEnterpriseName }).locator('.badge').textContent()).resolves.toBe('held (objection)');
    await page.locator('#lang').selectOption('zh');
    expect(browserErrors).toEqual([]);
  });

  it('R-CLAIM-1, R-PUB-1, R-PAY-1, R-CLEAR-1: an operator reviews, runs, publishes and disburses the quarter in the console and downloads the statement', async () => {
    const message = page.locator('#view-message');
    const go = async (view: string) => {
      await page.locator(`#nav a[data-view=${view}]`).click();
      await page.locator(`#nav a.active[data-view=${view}]`).waitFor();
    };
    await page.goto(`${base}/`);
    await page.locator('#login select[name=role]').selectOption('programme_operator');
    await page.locator('#login select[name=province]').selectOption('JS');
    await page.locator('#login button[type=submit]').click();

    // Dashboard: the Jiangsu programme with its budget
    const programme = page.locator('section.programme[data-programme="JS-2026"]');
    await programme.waitFor();
    await expect(programme.textContent()).resolves.toContain('¥1,000,000.00');

    // Start the 2026Q3 run with every claim sampled for on-site inspection
    await go('runs');
    await page.locator('#start-run input[name=quarter]').fill('2026Q3');
    await page.locator('#start-run input[name=sampleRateBp]').fill('10000');
    await page.locator('#start-run button[type=submit]').click();
    const runRow = page.locator('tr[data-run]', { hasText: 'JS-2026' });
    await runRow.and(page.locator('[data-state=review]')).waitFor();
    await expect(runRow.locator('td').nth(2).textContent()).resolves.toContain('2 · ¥8,086.41'); // V = 308,641 + 500,000 fen

    // Review queue: evidence and inspection badges, a reason is required to reject, explicit approvals
    await go('claims');
    const queue = page.locator('#queue');
    const first = queue.locator(`tr[data-claim="${jsClaimIds[0]}"]`);
    await first.waitFor();
    await expect(first.textContent()).resolves.toContain(firstInvoice);
    await expect(first.textContent()).resolves.toContain('¥12,345.67');
    await expect(first.textContent()).resolves.toContain('¥3,086.41');
    await expect(first.locator('.badge.sampled').textContent()).resolves.toBe('抽查');
    // the full evidence from redemption: contract, invoice amount = A, bank transfer of A − V
    await expect(first.locator('dl.evidence').textContent()).resolves.toMatch(/HT-\d.*BK-\d · ¥9,259\.26/);
    await first.locator('button[data-action=reject]').click();
    await message.and(page.locator('.error')).filter({ hasText: '驳回或退回需填写理由' }).waitFor();
    await queue.locator(`tr[data-claim="${jsClaimIds[0]}"] button[data-action=approve]`).click();
    await queue.locator(`tr[data-claim="${jsClaimIds[0]}"][data-state=approved]`).waitFor();
    await expect(queue.locator(`tr[data-claim="${jsClaimIds[1]}"]`).getAttribute('data-state')).resolves.toBe('in_review');
    // approve-all spares claims sampled for inspection: the second one still needs its own decision
    await page.locator('button[data-action=approve-all]').click();
    await message.filter({ hasText: '全部通过' }).waitFor();
    await expect(queue.locator(`tr[data-claim="${jsClaimIds[1]}"]`).getAttribute('data-state')).resolves.toBe('in_review');
    await queue.locator(`tr[data-claim="${jsClaimIds[1]}"] button[data-action=approve]`).click();
    await queue.locator(`tr[data-claim="${jsClaimIds[1]}"][data-state=approved]`).waitFor();

    // Publish: the window of R-PUB-1, shown in Shanghai time
    await go('runs');
    await runRow.locator('button[data-action=publish]').click();
    await runRow.and(page.locator('[data-state=publicity]')).waitFor();
    await expect(runRow.locator('.closes').textContent()).resolves.toBe('2026-10-15 24:00');
    // disbursing during the window is refused with the API's code
    await runRow.locator('button[data-action=disburse]').click();
    await message.filter({ hasText: 'PUBLICITY_OPEN' }).waitFor();

    // After the window: disburse (R-PAY-1), the run completes with its statement
    setNow('2026-10-16T09:00:00+08:00');
    await runRow.locator('button[data-action=disburse]').click();
    await runRow.and(page.locator('[data-state=completed]')).waitFor();
    await expect(runRow.textContent()).resolves.toContain('2 · ¥8,086.41');
    // SPEC 5.6 step 3: no payee has given a bank account here, so both instructions are held, not sent
    await expect(runRow.locator('.bank-held').textContent()).resolves.toContain('2 · ¥8,086.41');

    // Download the run's statement: a Blob download of a non-empty CSV naming the Shanghai and Zhejiang providers
    const [csv] = await Promise.all([page.waitForEvent('download'), runRow.locator('button[data-action=export][data-kind=statement][data-format=csv]').click()]);
    expect(csv.suggestedFilename()).toMatch(/^statement-JS-2026-2026Q3\.csv$/);
    const csvBytes = readFileSync((await csv.path())!);
    expect(csvBytes.length).toBeGreaterThan(0);
    expect(csvBytes.toString('utf8')).toContain('上海示范大学 分析测试中心');
    expect(csvBytes.toString('utf8')).toContain('808641'); // = the instructions, to the fen (R-CLEAR-1)
    const [xlsx] = await Promise.all([page.waitForEvent('download'), runRow.locator('button[data-action=export][data-kind=instructions][data-format=xlsx]').click()]);
    expect(readFileSync((await xlsx.path())!).subarray(0, 2).toString()).toBe('PK');

    // The cross-province statement as a table and a chart; the quarter's export too
    await go('statement');
    await page.locator('#statement-form input[name=quarter]').fill('2026Q3');
    await page.locator('#statement-form button[type=submit]').click();
    const cells = page.locator('#statement-table');
    await cells.locator('td', { hasText: 'ZJ' }).first().waitFor();
    await expect(cells.textContent()).resolves.toContain('¥5,000.00');
    await expect(cells.textContent()).resolves.toContain('✓');
    await page.locator('#statement-chart').waitFor();
    const [quarterFile] = await Promise.all([page.waitForEvent('download'), page.locator('button[data-action=export][data-format=csv]').click()]);
    expect(readFileSync((await quarterFile.path())!).length).toBeGreaterThan(0);
    await page.waitForTimeout(300);
    await page.screenshot({ path: join(SCREENSHOTS, 'console.png'), fullPage: true });

    // Matching is owed by the Suzhou region, due three months after payment
    await go('matching');
    await page.locator('tr[data-region]', { hasText: '苏州工业园区' }).waitFor();
    await expect(page.locator('#main').textContent()).resolves.toContain('2027-01-16');

    // The dashboard: budget taken and left from redemption's balance, claims by state
    await go('dashboard');
    await programme.locator('.tile', { hasText: '已使用' }).filter({ hasText: '¥8,086.41' }).waitFor();
    await expect(programme.locator('.tile', { hasText: '剩余' }).textContent()).resolves.toContain('¥991,913.59');
    await expect(programme.locator('.claim-states').textContent()).resolves.toContain('2');

    // SPEC 3: from 1 November (business clock) every operator is warned that next year's calendar is missing
    expect(await page.locator('#calendar-warning').count()).toBe(0);
    setNow('2026-11-02T09:00:00+08:00');
    await go('calendar');
    await page.locator('#calendar-warning', { hasText: '2027年工作日历尚未加载' }).waitFor();
    await expect(page.locator('#calendar-years').textContent()).resolves.toContain('国办发明电〔2025〕7号');
    expect(browserErrors).toEqual([]);
  });
});
