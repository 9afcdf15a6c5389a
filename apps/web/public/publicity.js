// Public publicity page (公示, R-PUB-1): the open lists per programme and run, and an objection
// form. No sign-in: it calls the public routes only. Money is integer fen, shown with BigInt.
import { api } from './api.js';
import { closesAt, esc, lang, setLang, sumFen, t, yuan } from './i18n.js';

const $ = (sel) => document.querySelector(sel);
const FIELDS = ['objectorName', 'objectorContact', 'reason'];

const state = { runs: [], items: new Map(), target: null, form: {}, errors: {}, formError: '', notice: '', loadError: '' };

async function load() {
  try {
    const { runs } = await api('GET', '/v1/publicity', undefined, null);
    const lists = await Promise.all(runs.map((r) => api('GET', `/v1/publicity/${encodeURIComponent(r.runId)}?limit=1000`, undefined, null)));
    state.runs = runs;
    state.items = new Map(runs.map((r, i) => [r.runId, lists[i].items ?? []]));
    state.loadError = '';
  } catch (err) {
    state.loadError = `${err.code ?? ''} ${err.message}`;
  }
  render();
}

function runCard(run) {
  const items = state.items.get(run.runId) ?? [];
  const id = encodeURIComponent(run.runId);
  const rows = items
    .map(
      (i) => `<tr data-claim="${esc(i.claimId)}" class="${state.target?.claimId === i.claimId ? 'selected' : ''}">
        <td>${esc(i.enterpriseName)}</td>
        <td>${esc(i.providerName)} <span class="muted">${esc(i.providerProvince)}</span></td>
        <td class="num">${yuan(i.amountFen)}</td>
        <td class="num">${yuan(i.voucherFen)}</td>
        <td>${i.held ? `<span class="badge held">${esc(t('held'))}</span>` : `<span class="badge approved">${esc(t('onList'))}</span>`}</td>
        <td>${run.open ? `<button type="button" class="secondary object" data-run="${esc(run.runId)}" data-claim="${esc(i.claimId)}">${esc(t('objectThis'))}</button>` : ''}</td>
      </tr>`,
    )
    .join('');
  return `
    <section class="card run" data-run="${esc(run.runId)}">
      <h2>${esc(run.programmeId)} · ${esc(run.quarter)}</h2>
      <div class="tiles">
        <div class="tile"><div class="label">${esc(t('window'))}</div><div class="value small">${esc(run.firstDay)} – ${esc(run.lastDay)}</div></div>
        <div class="tile"><div class="label">${esc(t('closesAt'))}</div><div class="value small closes">${esc(closesAt(run.closesAt))}</div></div>
        <div class="tile"><div class="label">${esc(t('listed'))}</div><div class="value">${esc(run.claimCount)}</div></div>
        <div class="tile"><div class="label">${esc(t('voucher'))} · ${esc(t('total'))}</div><div class="value">${yuan(run.voucherFen)}</div></div>
      </div>
      <p class="links">
        <a href="/v1/publicity/${id}/notice.pdf" download>${esc(t('noticePdf'))}</a>
        <a href="/v1/publicity/${id}/list.csv" download>${esc(t('listCsv'))}</a>
        <a href="/v1/publicity/${id}/list.xlsx" download>${esc(t('listXlsx'))}</a>
      </p>
      <table>
        <thead><tr><th>${esc(t('enterprise'))}</th><th>${esc(t('provider'))}</th><th class="num">${esc(t('amount'))}</th><th class="num">${esc(t('voucher'))}</th><th>${esc(t('listState'))}</th><th></th></tr></thead>
        <tbody>${rows}</tbody>
        <tfoot><tr><th colspan="2">${esc(t('total'))}</th><th class="num">${yuan(sumFen(items.map((i) => i.amountFen)))}</th><th class="num">${yuan(sumFen(items.map((i) => i.voucherFen)))}</th><th colspan="2"></th></tr></tfoot>
      </table>
    </section>`;
}

function objectionForm() {
  const target = state.target;
  const item = target ? (state.items.get(target.runId) ?? []).find((i) => i.claimId === target.claimId) : null;
  const run = target ? state.runs.find((r) => r.runId === target.runId) : null;
  const field = (name, control) => `
    <label>${esc(t(name))}${control}</label>
    <div class="field-error" data-for="${name}" role="alert">${esc(state.errors[name] ?? '')}</div>`;
  return `
    <section class="card" id="objection">
      <h2>${esc(t('fileObjection'))}</h2>
      <p class="ok" id="objection-notice" role="status">${esc(state.notice)}</p>
      ${
        item
          ? `<p id="objection-target">${esc(t('objecting'))}: <strong>${esc(item.enterpriseName)}</strong> · ${esc(item.providerName)} · ${yuan(item.voucherFen)} <span class="muted">(${esc(run?.programmeId)} ${esc(run?.quarter)})</span></p>`
          : `<p class="muted" id="objection-target">${esc(t('chooseClaim'))}</p>`
      }
      <form id="objection-form" class="stacked" novalidate ${item ? '' : 'hidden'}>
        ${field('objectorName', `<input name="objectorName" maxlength="100" autocomplete="name" value="${esc(state.form.objectorName)}" />`)}
        ${field('objectorContact', `<input name="objectorContact" maxlength="200" autocomplete="tel" value="${esc(state.form.objectorContact)}" />`)}
        ${field('reason', `<textarea name="reason" rows="4" maxlength="2000">${esc(state.form.reason)}</textarea>`)}
        <p class="error" id="objection-error" role="alert">${esc(state.formError)}</p>
        <div><button class="primary" type="submit">${esc(t('submit'))}</button> <button class="secondary" type="button" id="objection-cancel">${esc(t('cancel'))}</button></div>
      </form>
    </section>`;
}

function render() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = `${t('publicityTitle')} · ${t('title')}`;
  $('#title').textContent = `${t('title')} · ${t('publicityTitle')}`;
  $('#lang').value = lang;
  const lists = state.runs.length ? state.runs.map(runCard).join('') : `<section class="card"><p class="muted" id="no-lists">${esc(t('noOpenLists'))}</p></section>`;
  $('#main').innerHTML = `
    <p class="intro">${esc(t('publicityIntro'))}</p>
    ${state.loadError ? `<p class="error">${esc(state.loadError)}</p>` : ''}
    ${lists}
    ${objectionForm()}`;
}

function readForm() {
  const form = $('#objection-form');
  if (!form) return;
  const data = new FormData(form);
  for (const f of FIELDS) state.form[f] = String(data.get(f) ?? '');
}

async function submitObjection() {
  readForm();
  state.errors = {};
  state.formError = '';
  state.notice = '';
  const body = Object.fromEntries(FIELDS.map((f) => [f, state.form[f].trim()]));
  for (const f of FIELDS) if (!body[f]) state.errors[f] = t('required');
  if (Object.keys(state.errors).length) return render();
  const { runId, claimId } = state.target;
  try {
    await api('POST', `/v1/publicity/${encodeURIComponent(runId)}/objections`, { claimId, ...body }, null);
    state.form = {};
    state.target = null;
    state.notice = t('objectionFiled');
    await load();
  } catch (err) {
    // R-ERR-1: the API names the field; show its message next to it, in the reader's language.
    if (FIELDS.includes(err.field)) state.errors[err.field] = `${t(`field.${err.field}`)} (${err.message})`;
    else state.formError = err.field ? `${t(`field.${err.field}`)} (${err.message})` : `${err.code ?? ''} ${err.message}`;
    render();
  }
}

$('#main').addEventListener('click', (e) => {
  const button = e.target.closest('button');
  if (!button) return;
  if (button.classList.contains('object')) {
    readForm();
    state.target = { runId: button.dataset.run, claimId: button.dataset.claim };
    state.errors = {};
    state.formError = '';
    state.notice = '';
    render();
    $('#objection').scrollIntoView({ block: 'start' });
    $('#objection-form [name=objectorName]').focus();
  } else if (button.id === 'objection-cancel') {
    state.target = null;
    state.errors = {};
    state.formError = '';
    render();
  }
});
$('#main').addEventListener('submit', (e) => {
  if (e.target.id !== 'objection-form') return;
  e.preventDefault();
  submitObjection();
});
$('#lang').addEventListener('change', (e) => {
  readForm();
  setLang(e.target.value);
  render();
});

load();
