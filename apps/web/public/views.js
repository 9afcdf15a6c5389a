// One render function per console view. Each gets the <main> element and a context
// { principal, api, rerender }; everything inserted as HTML goes through esc(), money through yuan().
import { download } from './api.js';
import { closesAt, esc, label, shanghai, t, yuan } from './i18n.js';

const OPERATORS = ['programme_operator', 'delta_operator', 'auditor'];
const PROVINCES = ['SH', 'JS', 'ZJ', 'AH', 'OTHER'];
const RUN_CLAIM_STATES = ['in_review', 'approved', 'held', 'returned', 'deferred', 'rejected', 'paid'];

/** UI state kept across re-renders of a view. */
const ui = { runId: null, quarter: null, statementProgramme: '', flash: null };

const badge = (s, text = label('s', s)) => `<span class="badge ${esc(s)}">${esc(text)}</span>`;
const btn = (action, label, data = {}, cls = 'secondary') =>
  `<button type="button" class="${cls}" data-action="${esc(action)}" ${Object.entries(data).map(([k, v]) => `data-${k}="${esc(v)}"`).join(' ')}>${esc(label)}</button>`;
const q = (params) => new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== '')).toString();

function table(rows, columns, attrs = () => '') {
  if (!rows.length) return `<p class="muted">${esc(t('none'))}</p>`;
  const head = columns.map(([label, , cls]) => `<th class="${cls ?? ''}">${esc(label)}</th>`).join('');
  const body = rows.map((r) => `<tr ${attrs(r)}>${columns.map(([, get, cls]) => `<td class="${cls ?? ''}">${get(r)}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

/** The message left by the last action, shown once at the top of the view. */
function flashHtml() {
  const f = ui.flash;
  ui.flash = null;
  return `<p id="view-message" class="${f?.error ? 'error' : 'ok'}" role="status">${f ? esc(f.text) : ''}</p>`;
}
const errorText = (err) => `${err.code ?? ''} ${err.message}${err.field ? ` (${err.field})` : ''}`.trim();

/**
 * Click handlers by data-action, for the current view only. After an action the view renders
 * again with its result (or its error) as the flash message.
 */
function actions(main, ctx, handlers) {
  main.onclick = async (e) => {
    const el = e.target.closest('[data-action]');
    if (!el || !handlers[el.dataset.action]) return;
    el.disabled = true;
    try {
      const text = await handlers[el.dataset.action](el.dataset, el);
      ui.flash = text ? { text } : null;
    } catch (err) {
      ui.flash = { text: errorText(err), error: true };
    }
    await ctx.rerender();
  };
}

async function programmesOf(api, principal) {
  const province = principal.role === 'programme_operator' ? principal.province : undefined;
  const { items } = await api('GET', `/v1/programmes?${q({ province })}`);
  return items;
}

/** The live budget balance is redemption's (ADR 0003); null while its route is not there. */
async function balanceOf(api, programmeId) {
  for (const path of [`/v1/programmes/${encodeURIComponent(programmeId)}/balance`]) {
    try {
      return await api('GET', path);
    } catch (err) {
      if (err.status !== 404 || err.field) return null;
    }
  }
  return null;
}

// ---- dashboard ---------------------------------------------------------------------------

async function dashboard(main, { api, principal }) {
  const [programmes, runs] = await Promise.all([programmesOf(api, principal), api('GET', '/v1/settlement/runs?limit=500').catch(() => ({ items: [] }))]);
  const cards = [];
  for (const p of programmes) {
    const balance = await balanceOf(api, p.id);
    const credited = BigInt(balance?.budget?.creditedFen ?? p.budgetFen);
    const left = balance ? BigInt(balance.budget.leftFen) : null;
    // claims by state: redemption's list when its route is there, else the settlement runs' counts
    const counts = {};
    const submitted = await api('GET', `/v1/claims?${q({ programmeId: p.id, limit: 500 })}`).catch(() => null);
    if (submitted?.items) for (const c of submitted.items) counts[c.status] = (counts[c.status] ?? 0) + 1;
    else {
      for (const run of runs.items.filter((r) => r.programmeId === p.id)) {
        for (const [state, n] of Object.entries(run.counts ?? {})) counts[state] = (counts[state] ?? 0) + n;
      }
    }
    const tile = (label, value, id) => `<div class="tile" ${id ? `id="${id}"` : ''}><div class="label">${esc(label)}</div><div class="value">${value}</div></div>`;
    cards.push(`
      <section class="card programme" data-programme="${esc(p.id)}">
        <h2>${esc(p.id)} ${badge(p.status)} <span class="muted">v${esc(p.version)} · ${esc(label('m', p.mode))}</span></h2>
        <div class="tiles">
          ${tile(t('credited'), yuan(credited))}
          ${tile(t('taken'), left === null ? '—' : yuan(credited - left))}
          ${tile(t('left'), left === null ? '—' : yuan(left))}
          ${tile(t('offsetRate'), `${esc(p.offsetRateBp / 100)} %`)}
          ${tile(t('annualCap'), yuan(p.annualCapFen))}
        </div>
        <h3>${esc(t('claimsByState'))}</h3>
        ${
          Object.keys(counts).length
            ? `<p class="claim-states">${Object.entries(counts).map(([s, n]) => `${badge(s)} ${esc(n)}`).join(' &nbsp; ')}</p>`
            : `<p class="muted">${esc(t('none'))}</p>`
        }
      </section>`);
  }
  main.innerHTML = `<h2>${esc(t('dashboard'))}</h2>${flashHtml()}${cards.join('') || `<p class="muted">${esc(t('none'))}</p>`}`;
}

// ---- claim review queue ------------------------------------------------------------------

/** Full evidence (contract, invoice, bank transfer) from redemption, when its route is there. */
async function evidenceOf(api, claimId) {
  try {
    return await api('GET', `/v1/claims/${encodeURIComponent(claimId)}`);
  } catch {
    return null;
  }
}

async function claims(main, ctx) {
  const { api, principal } = ctx;
  const { items: runs } = await api('GET', '/v1/settlement/runs?state=review&limit=100');
  if (!runs.length) {
    main.innerHTML = `<h2>${esc(t('claims'))}</h2>${flashHtml()}<section class="card"><p class="muted" id="no-review">${esc(t('noRunInReview'))}</p></section>`;
    return;
  }
  const run = runs.find((r) => r.id === ui.runId) ?? runs[0];
  ui.runId = run.id;
  const { items } = await api('GET', `/v1/settlement/runs/${encodeURIComponent(run.id)}/claims?limit=1000`);
  const evidence = new Map(await Promise.all(items.filter((c) => c.state === 'in_review').map(async (c) => [c.claimId, await evidenceOf(api, c.claimId)])));
  const canDecide = principal.role === 'programme_operator';
  const evidenceHtml = (c) => {
    const e = evidence.get(c.claimId);
    const rows = [[t('invoice'), `${esc(c.invoiceNumber)}${e ? ` · ${yuan(e.invoiceAmountFen)}` : ''}`]];
    if (e) rows.push([t('contract'), esc(e.contractRef)], [t('bank'), `${esc(e.bankTransferRef)} · ${yuan(e.bankAmountFen)}`]);
    rows.push([t('submittedAt'), esc(shanghai(c.submittedAt))]);
    return `<dl class="evidence">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
  };
  const decide = (c) =>
    c.state !== 'in_review'
      ? `${badge(c.state)}${c.decisionReason ? ` <span class="muted">${esc(c.decisionReason)}</span>` : ''}`
      : canDecide
        ? `<div class="row-actions">${btn('approve', t('approve'), { claim: c.claimId }, 'primary')}
            <input name="reason" data-claim="${esc(c.claimId)}" placeholder="${esc(t('decisionReason'))}" maxlength="500" />
            ${btn('reject', t('reject'), { claim: c.claimId }, 'danger')}${btn('return', t('return'), { claim: c.claimId })}</div>`
        : badge(c.state);
  main.innerHTML = `
    <h2>${esc(t('claims'))}</h2>${flashHtml()}
    <section class="card">
      <form class="inline" id="run-pick"><label>${esc(t('run'))}<select name="runId">${runs
        .map((r) => `<option value="${esc(r.id)}" ${r.id === run.id ? 'selected' : ''}>${esc(r.programmeId)} · ${esc(r.quarter)}</option>`)
        .join('')}</select></label>
        ${canDecide ? btn('approve-all', t('approveAll'), { run: run.id }) : ''}</form>
    </section>
    <section class="card" id="queue" data-run="${esc(run.id)}">${table(
      items,
      [
        [t('enterprise'), (c) => esc(c.enterpriseName)],
        [t('provider'), (c) => `${esc(c.providerName)} <span class="muted">${esc(c.providerProvince)}</span>`],
        [t('amount'), (c) => yuan(c.amountFen), 'num'],
        [t('voucher'), (c) => yuan(c.voucherFen), 'num'],
        [t('evidence'), (c) => `${evidenceHtml(c)}${c.sampled ? badge('sampled', t('inspection')) : ''} ${c.flagged ? badge('flagged', t('flagged')) : ''}`],
        [t('decision'), decide],
      ],
      (c) => `data-claim="${esc(c.claimId)}" data-state="${esc(c.state)}"`,
    )}</section>`;
  main.querySelector('#run-pick select').onchange = (e) => {
    ui.runId = e.target.value;
    ctx.rerender();
  };
  const review = (body) => api('POST', `/v1/settlement/runs/${encodeURIComponent(run.id)}/review`, { runId: run.id, ...body });
  const withReason = (decision) => async ({ claim }) => {
    const reason = main.querySelector(`input[name=reason][data-claim="${CSS.escape(claim)}"]`).value.trim();
    if (!reason) throw new Error(t('reasonRequired'));
    await review({ decisions: [{ claimId: claim, decision, reason }] });
    return `${t(decision)} ✓`;
  };
  actions(main, ctx, {
    approve: async ({ claim }) => (await review({ decisions: [{ claimId: claim, decision: 'approve' }] }), `${t('approve')} ✓`),
    reject: withReason('reject'),
    return: withReason('return'),
    'approve-all': async () => (await review({ approveAll: true }), `${t('approveAll')} ✓`),
  });
}

// ---- quarterly runs ----------------------------------------------------------------------

function previousQuarter(now = new Date()) {
  const quarter = Math.floor(now.getUTCMonth() / 3);
  return quarter === 0 ? `${now.getUTCFullYear() - 1}Q4` : `${now.getUTCFullYear()}Q${quarter}`;
}

const OUTPUTS = [
  ['instructions', 'csv'], ['instructions', 'xlsx'], ['instructions', 'xml'], ['publicity', 'csv'], ['publicity', 'xlsx'], ['notice', 'pdf'], ['statement', 'csv'], ['statement', 'xlsx'],
];
const outputsFor = (run) =>
  OUTPUTS.filter(([kind]) => (kind === 'statement' ? run.state === 'completed' : kind === 'instructions' ? ['disbursing', 'paid', 'completed'].includes(run.state) : run.publication))
    .map(([kind, format]) => btn('export', format === 'xml' ? 'pain.001.xml' : `${kind}.${format}`, { run: run.id, kind, format }, 'secondary dl'))
    .join(' ');

async function runs(main, ctx) {
  const { api, principal } = ctx;
  const operates = principal.role === 'programme_operator';
  const [{ items }, programmes, objections] = await Promise.all([
    api('GET', '/v1/settlement/runs?limit=100'),
    operates ? programmesOf(api, principal) : [],
    api('GET', '/v1/settlement/objections?status=open&limit=500').catch(() => ({ items: [] })),
  ]);
  const runActions = (r) => {
    if (!operates) return '';
    if (r.state === 'review') return `${btn('approve-all', t('approveAll'), { run: r.id })} ${btn('publish', t('publish'), { run: r.id }, 'primary')}`;
    if (r.state === 'publicity' || r.state === 'disbursing' || r.state === 'paid') return btn('disburse', t('disburse'), { run: r.id }, 'primary');
    return '';
  };
  const counts = (r) => RUN_CLAIM_STATES.filter((s) => r.counts?.[s]).map((s) => `${badge(s)} ${esc(r.counts[s])}`).join(' ');
  // how the run's payment instructions stand at the bank (pain.002 / camt.054 answers imported)
  const bank = (r) => {
    const p = r.payments;
    if (!p) return '—';
    const parts = ['settled', 'outstanding', 'returned', 'held']
      .filter((k) => p[k].count)
      .map((k) => `<span class="bank-${k}">${badge(`b-${k}`, t(`b.${k}`))} ${esc(p[k].count)} · ${yuan(p[k].fen)}</span>`);
    if (p.reissues.count) parts.push(`<span class="bank-reissues">${esc(t('b.reissues'))} ${esc(p.reissues.count)} · ${yuan(p.reissues.fen)}</span>`);
    if (p.waitingForDetails.count) parts.push(`<span class="bank-waiting">${esc(t('b.waiting'))} ${esc(p.waitingForDetails.count)}</span>`);
    return `${parts.join('<br>')}${p.reconciled ? `<br>${badge('completed', t('b.reconciled'))}` : ''}`;
  };
  const pubWindow = (r) => (r.publication ? `${esc(r.publication.firstDay)} – ${esc(r.publication.lastDay)}<br><span class="closes">${esc(closesAt(r.publication.closesAt))}</span>` : '—');
  const startForm = operates
    ? `<section class="card"><h2>${esc(t('startRun'))}</h2>
        <form class="inline" id="start-run">
          <label>${esc(t('programme'))}<select name="programmeId">${programmes.map((p) => `<option>${esc(p.id)}</option>`).join('')}</select></label>
          <label>${esc(t('quarter'))}<input name="quarter" value="${esc(previousQuarter())}" pattern="\\d{4}Q[1-4]" required /></label>
          <label>${esc(t('sampleRate'))}<input name="sampleRateBp" type="number" min="0" max="10000" step="1" value="500" /></label>
          <button class="primary" type="submit">${esc(t('startRun'))}</button>
        </form></section>`
    : '';
  const openObjections = objections.items;
  main.innerHTML = `
    <h2>${esc(t('runs'))}</h2>${flashHtml()}${startForm}
    <section class="card"><h2>${esc(t('runs'))} ${btn('refresh', t('refresh'))}</h2>${table(
      items,
      [
        [t('run'), (r) => `${esc(r.programmeId)} · ${esc(r.quarter)}`],
        [t('state'), (r) => `<span class="run-state">${badge(r.state)}</span>`],
        [t('collected'), (r) => `${esc(r.collectedCount)} · ${yuan(r.collectedFen)}`, 'num'],
        [t('claims'), counts],
        [t('window'), pubWindow],
        [t('instructions'), (r) => `${esc(r.instructionCount)} · ${yuan(r.instructionFen)}`, 'num'],
        [t('b.bank'), bank],
        [t('actions'), (r) => `<div class="row-actions">${runActions(r)}</div>`],
        [t('outputs'), (r) => `<div class="row-actions">${outputsFor(r)}</div>`],
      ],
      (r) => `data-run="${esc(r.id)}" data-state="${esc(r.state)}"`,
    )}</section>
    ${
      operates
        ? `<section class="card"><h2>${esc(t('b.import'))}</h2><form class="inline" id="bank-report">
            <label>${esc(t('b.file'))}<input type="file" name="file" accept=".xml,application/xml,text/xml" required /></label>
            <button class="primary" type="submit">${esc(t('submit'))}</button></form></section>`
        : ''
    }
    <section class="card"><h2>${esc(t('objections'))}</h2>${table(openObjections, [
      [t('run'), (o) => esc(items.find((r) => r.id === o.runId)?.programmeId ?? o.runId.slice(0, 8))],
      [t('objectorName'), (o) => `${esc(o.objectorName)}<br><span class="muted">${esc(o.objectorContact)}</span>`],
      [t('reason'), (o) => esc(o.reason)],
      [t('submittedAt'), (o) => esc(shanghai(o.filedAt))],
      [
        t('decision'),
        (o) =>
          operates
            ? `<div class="row-actions"><input name="reason" data-objection="${esc(o.id)}" placeholder="${esc(t('reason'))}" maxlength="500" />${btn('uphold', t('uphold'), { objection: o.id }, 'danger')}${btn('dismiss', t('dismiss'), { objection: o.id })}</div>`
            : badge(o.status),
      ],
    ])}</section>`;

  const form = main.querySelector('#start-run');
  if (form) {
    form.onsubmit = async (e) => {
      e.preventDefault();
      const f = new FormData(form);
      try {
        const run = await api('POST', '/v1/settlement/runs', { programmeId: f.get('programmeId'), quarter: String(f.get('quarter')).trim(), sampleRateBp: Number(f.get('sampleRateBp')) });
        ui.runId = run.id;
        ui.flash = { text: `${t('startRun')} ✓ ${run.programmeId} ${run.quarter}: ${run.collectedCount}` };
      } catch (err) {
        ui.flash = { text: errorText(err), error: true };
      }
      ctx.rerender();
    };
  }
  const bankForm = main.querySelector('#bank-report');
  if (bankForm) {
    bankForm.onsubmit = async (e) => {
      e.preventDefault();
      try {
        const content = await new FormData(bankForm).get('file').text();
        const r = await api('POST', '/v1/settlement/bank-reports', { content });
        const returned = r.entries.filter((x) => x.outcome === 'applied' && x.status === 'returned').map((x) => `${x.reasonCode ?? ''} ${x.reason ?? ''}`.trim());
        ui.flash = { text: `${t('b.import')} ✓ ${r.format} ${r.messageId}: ${r.appliedCount}/${r.entryCount}${r.alreadyImported ? ` (${t('b.again')})` : ''}${returned.length ? ` · ${t('b.returned')}: ${returned.join('; ')}` : ''}` };
      } catch (err) {
        ui.flash = { text: errorText(err), error: true };
      }
      ctx.rerender();
    };
  }
  const decideObjection = (decision) => async ({ objection }) => {
    const reason = main.querySelector(`input[data-objection="${CSS.escape(objection)}"]`).value.trim();
    if (!reason) throw new Error(t('reasonRequired'));
    await api('POST', `/v1/settlement/objections/${encodeURIComponent(objection)}/decision`, { decision, reason });
    return `${t(decision)} ✓`;
  };
  const post = (path) => api('POST', path, {});
  actions(main, ctx, {
    refresh: async () => null,
    'approve-all': async ({ run }) => (await api('POST', `/v1/settlement/runs/${encodeURIComponent(run)}/review`, { runId: run, approveAll: true }), `${t('approveAll')} ✓`),
    publish: async ({ run }) => (await post(`/v1/settlement/runs/${encodeURIComponent(run)}/publish`), `${t('publish')} ✓`),
    disburse: async ({ run }) => {
      const r = await post(`/v1/settlement/runs/${encodeURIComponent(run)}/disburse`);
      return `${t('disburse')} ✓ ${r.instructionCount} · ${yuan(r.instructionFen)}`;
    },
    export: async ({ run, kind, format }) => {
      const file = await download(`/v1/settlement/runs/${encodeURIComponent(run)}/exports/${encodeURIComponent(kind)}.${encodeURIComponent(format)}`);
      return `${t('download')} ✓ ${file.filename} (${file.bytes} B)`;
    },
    uphold: decideObjection('uphold'),
    dismiss: decideObjection('dismiss'),
  });
}

// ---- cross-province statement ------------------------------------------------------------

let chart = null;

async function statement(main, ctx) {
  const { api, principal } = ctx;
  ui.quarter ??= previousQuarter();
  const programmes = await programmesOf(api, principal).catch(() => []);
  let view = null;
  let error = '';
  try {
    view = await api('GET', `/v1/settlement/statements?${q({ quarter: ui.quarter, programmeId: ui.statementProgramme, detail: 'true' })}`);
  } catch (err) {
    error = errorText(err);
  }
  const cells = view?.cells ?? [];
  const detail = (c) =>
    (c.providers ?? []).map((p) => `${esc(p.providerName)} <span class="muted">${esc(p.providerCreditCode)}</span> · ${esc(p.claimCount)} · ${yuan(p.totalFen)}`).join('<br>');
  main.innerHTML = `
    <h2>${esc(t('statementOf'))}</h2>${flashHtml()}
    <section class="card">
      <form class="inline" id="statement-form">
        <label>${esc(t('quarter'))}<input name="quarter" value="${esc(ui.quarter)}" pattern="\\d{4}Q[1-4]" required /></label>
        <label>${esc(t('programme'))}<select name="programmeId"><option value="">—</option>${programmes
          .map((p) => `<option ${p.id === ui.statementProgramme ? 'selected' : ''}>${esc(p.id)}</option>`)
          .join('')}</select></label>
        <button class="primary" type="submit">${esc(t('show'))}</button>
        ${view ? `${btn('export', 'statement.csv', { format: 'csv' }, 'secondary dl')} ${btn('export', 'statement.xlsx', { format: 'xlsx' }, 'secondary dl')}` : ''}
      </form>
      <p class="error">${esc(error)}</p>
    </section>
    ${
      view
        ? `<section class="card" id="statement-table"><h2>${esc(view.quarter ?? ui.quarter)} · ${esc(t('total'))} ${esc(view.totalCount)} · ${yuan(view.totalFen)}</h2>${table(cells, [
        [t('programme'), (c) => esc(c.programmeId)],
        [t('province'), (c) => esc(c.providerProvince)],
        [t('count'), (c) => esc(c.claimCount), 'num'],
        [t('total'), (c) => yuan(c.totalFen), 'num'],
        [t('perProvider'), detail],
      ])}
      <p class="muted">${esc(t('instructions'))}: ${yuan(view.instructionFen)} ${BigInt(view.instructionFen) === BigInt(view.totalFen) ? '✓' : '≠'}</p></section>
      <section class="card"><div class="chart-box"><canvas id="statement-chart" aria-label="${esc(t('statementOf'))}"></canvas></div></section>
    <section class="card"><h2>${esc(t('netView'))}</h2>${table(view.net ?? [], [
      [t('from'), (n) => esc(n.from)],
      [t('to'), (n) => esc(n.to)],
      [t('paid'), (n) => yuan(n.paidFen), 'num'],
      [t('received'), (n) => yuan(n.receivedFen), 'num'],
      [t('net'), (n) => yuan(n.netFen), 'num'],
    ])}</section>`
        : ''
    }`;
  main.querySelector('#statement-form').onsubmit = (e) => {
    e.preventDefault();
    const f = new FormData(e.target);
    ui.quarter = String(f.get('quarter')).trim();
    ui.statementProgramme = String(f.get('programmeId') ?? '');
    ctx.rerender();
  };
  actions(main, ctx, {
    export: async ({ format }) => {
      const file = await download(`/v1/settlement/statements/${encodeURIComponent(ui.quarter)}/export.${encodeURIComponent(format)}?${q({ programmeId: ui.statementProgramme })}`);
      return `${t('download')} ✓ ${file.filename} (${file.bytes} B)`;
    },
  });
  if (view && window.Chart) drawChart(main.querySelector('#statement-chart'), cells);
}

/** Bars per provider province, one series per issuing programme. Heights in whole yuan (display only); labels exact. */
function drawChart(canvas, cells) {
  chart?.destroy();
  const programmes = [...new Set(cells.map((c) => c.programmeId))];
  const colours = ['#0b5cad', '#e07b00', '#067647', '#8e44ad', '#b42318'];
  const fenOf = (programmeId, province) => BigInt(cells.find((c) => c.programmeId === programmeId && c.providerProvince === province)?.totalFen ?? 0);
  chart = new window.Chart(canvas, {
    type: 'bar',
    data: {
      labels: PROVINCES,
      datasets: programmes.map((id, i) => ({
        label: id,
        backgroundColor: colours[i % colours.length],
        data: PROVINCES.map((p) => Number(fenOf(id, p) / 100n)),
        fen: PROVINCES.map((p) => fenOf(id, p).toString()),
      })),
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: { tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${yuan(c.dataset.fen[c.dataIndex])}` } } },
      scales: { y: { beginAtZero: true, title: { display: true, text: t('voucher') + ' (¥)' } } },
    },
  });
}

// ---- local matching ----------------------------------------------------------------------

async function matching(main, ctx) {
  const { api } = ctx;
  const [report, regions] = await Promise.all([api('GET', '/v1/settlement/matching?limit=1000'), api('GET', '/v1/regions').catch(() => ({ items: [] }))]);
  const names = new Map((regions.items ?? []).map((r) => [r.id, r.name]));
  const regionName = (id) => esc(names.get(id) ?? id.slice(0, 8));
  main.innerHTML = `
    <h2>${esc(t('matching'))}</h2>${flashHtml()}
    <section class="card"><h2>${esc(t('region'))} <span class="muted">${esc(report.asOf)}</span></h2>${table(report.regions, [
      [t('region'), (r) => `${regionName(r.regionId)} ${r.defaulting ? badge('defaulting', t('defaulting')) : ''}`],
      [t('obligations'), (r) => esc(r.obligations), 'num'],
      [t('owed'), (r) => yuan(r.owedFen), 'num'],
      [t('paid'), (r) => yuan(r.paidFen), 'num'],
      [t('due'), (r) => yuan(BigInt(r.outstandingFen) - BigInt(r.overdueFen)), 'num'],
      [t('overdue'), (r) => `${yuan(r.overdueFen)}${r.overdueCount ? ` ${badge('overdue', String(r.overdueCount))}` : ''}`, 'num'],
    ], (r) => `data-region="${esc(r.regionId)}"`)}</section>
    <section class="card"><h2>${esc(t('obligations'))}</h2>${table(report.obligations, [
      [t('region'), (o) => regionName(o.regionId)],
      [t('enterprise'), (o) => esc(o.enterpriseName)],
      [t('programme'), (o) => esc(o.programmeId)],
      [t('voucher'), (o) => `${yuan(o.voucherFen)} × ${esc(o.matchingRatio)}`, 'num'],
      [t('owed'), (o) => yuan(o.amountFen), 'num'],
      [t('paid'), (o) => yuan(o.paidFen), 'num'],
      [t('outstanding'), (o) => yuan(o.outstandingFen), 'num'],
      [t('dueOn'), (o) => `${esc(o.dueOn)} ${o.overdue ? badge('overdue', t('overdue')) : ''}`],
    ])}</section>`;
}

// ---- provider registry -------------------------------------------------------------------

async function registry(main, { api }) {
  const [{ items: providers }, { items: complaints }, { items: records }] = await Promise.all([
    api('GET', '/v1/providers?limit=200'),
    api('GET', '/v1/complaints?limit=200').catch(() => ({ items: [] })),
    api('GET', '/v1/credit-records').catch(() => ({ items: [] })),
  ]);
  const providerName = new Map(providers.map((p) => [p.id, `${p.legalName} ${p.unitName}`]));
  main.innerHTML = `
    <h2>${esc(t('registry'))}</h2>${flashHtml()}
    <section class="card"><h2>${esc(t('registry'))}</h2>${table(providers, [
      [t('provider'), (p) => `${esc(p.legalName)} ${esc(p.unitName)}<br><span class="muted">${esc(p.creditCode)}</span>`],
      [t('province'), (p) => esc(p.province === 'OTHER' ? p.provinceName : p.province)],
      [t('kind'), (p) => esc(label('k', p.kind))],
      [t('state'), (p) => badge(p.suspended ? 'suspended' : p.status)],
      [t('upheldComplaints'), (p) => esc(p.upheldComplaints ?? 0), 'num'],
    ])}</section>
    <section class="card"><h2>${esc(t('complaints'))}</h2>${table(complaints, [
      [t('provider'), (c) => esc(providerName.get(c.providerId) ?? c.providerId.slice(0, 8))],
      [t('category'), (c) => esc(c.category)],
      [t('description'), (c) => esc(c.description)],
      [t('state'), (c) => badge(c.status)],
    ])}</section>
    <section class="card"><h2>${esc(t('creditRecords'))}</h2>${table(records, [
      [t('creditCode'), (r) => esc(r.creditCode)],
      [t('severity'), (r) => badge(r.severity === 'serious' ? 'suspended' : r.severity, label('s', r.severity))],
      [t('filedBy'), (r) => esc(r.filedByProvince)],
      [t('effective'), (r) => `${esc(r.effectiveFrom)} – ${esc(r.effectiveTo ?? '')}`],
      [t('state'), (r) => badge(r.status)],
    ])}</section>`;
}

// ---- working-day calendar (SPEC 3) ---------------------------------------------------------

/**
 * The banner every operator sees while this year or (from 1 November, business clock) next year
 * is not loaded: the runs that need it would be refused (CALENDAR_YEAR_MISSING).
 */
export async function calendarBanner(api) {
  const { status } = await api('GET', '/v1/calendar/years');
  const lines = [];
  const fill = (key) => t(key).replaceAll('{year}', String(status.currentYear)).replaceAll('{next}', String(status.nextYear));
  if (!status.currentYearLoaded) lines.push(fill('calendar.currentMissing'));
  if (!status.nextYearLoaded && status.today >= status.nextYearDueFrom) lines.push(fill('calendar.nextMissing'));
  return lines.length ? `<section class="card warning" id="calendar-warning" role="alert">${lines.map((l) => `<p>${esc(l)}</p>`).join('')}</section>` : '';
}

async function calendar(main, ctx) {
  const { api, principal } = ctx;
  const { items } = await api('GET', '/v1/calendar/years?history=true');
  const loads = principal.role === 'delta_operator';
  main.innerHTML = `
    <h2>${esc(t('calendar'))}</h2>${flashHtml()}
    ${
      loads
        ? `<section class="card"><form class="inline" id="calendar-load">
            <label>${esc(t('loadYear'))}<input type="file" name="file" accept="application/json,.json" required /></label>
            <label>${esc(t('supersedes'))}<input name="supersedes" type="number" min="1" step="1" /></label>
            <label>${esc(t('reason'))}<input name="reason" maxlength="500" /></label>
            <button class="primary" type="submit">${esc(t('submit'))}</button></form></section>`
        : ''
    }
    <section class="card" id="calendar-years">${table(
      [...items].reverse(),
      [
        [t('year'), (y) => `${esc(y.year)}${y.testFixture ? ` ${badge('flagged', t('testFixture'))}` : ''}`],
        [t('version'), (y) => `${esc(y.version)}${y.current ? '' : ` ${badge('superseded')}`}${y.supersedes ? ` <span class="muted">← ${esc(y.supersedes)}: ${esc(y.reason ?? '')}</span>` : ''}`],
        [t('notice'), (y) => `${esc(y.notice.title)}<br><span class="muted">${esc(y.notice.number)} · ${esc(y.notice.publishedOn)}</span>`],
        [t('holidays'), (y) => esc(y.holidayCount), 'num'],
        [t('workdays'), (y) => esc(y.workdayCount), 'num'],
        [t('loadedBy'), (y) => `${esc(y.loadedBy.role)} · ${esc(y.loadedBy.sub)}<br><span class="muted">${esc(shanghai(y.loadedAt))}</span>`],
      ],
      (y) => `data-year="${esc(y.year)}" data-version="${esc(y.version)}"`,
    )}</section>`;
  const form = main.querySelector('#calendar-load');
  if (form) {
    form.onsubmit = async (e) => {
      e.preventDefault();
      const f = new FormData(form);
      try {
        const file = JSON.parse(await f.get('file').text());
        const supersedes = f.get('supersedes') ? Number(f.get('supersedes')) : undefined;
        const reason = String(f.get('reason') ?? '').trim() || undefined;
        const r = await api('PUT', `/v1/calendar/years/${encodeURIComponent(file.year)}`, { ...file, ...(supersedes ? { supersedes } : {}), ...(reason ? { reason } : {}) });
        ui.flash = { text: `${t('calendarLoaded')} ✓ ${r.year.year} v${r.year.version}${r.loaded ? '' : ' (=)'}` };
      } catch (err) {
        ui.flash = { text: errorText(err), error: true };
      }
      ctx.rerender();
    };
  }
}

export const VIEWS = [
  { id: 'dashboard', roles: OPERATORS, render: dashboard },
  { id: 'claims', roles: OPERATORS, render: claims },
  { id: 'runs', roles: OPERATORS, render: runs },
  { id: 'statement', roles: OPERATORS, render: statement },
  { id: 'matching', roles: [...OPERATORS, 'region_admin'], render: matching },
  { id: 'registry', roles: OPERATORS, render: registry },
  { id: 'calendar', roles: OPERATORS, render: calendar },
];
