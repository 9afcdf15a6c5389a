// Operator console: sign in, then one view per task. Views call the same gateway API as any client.
import { api } from './api.js';
import { esc, lang, setLang, t } from './i18n.js';
import { calendarBanner, VIEWS } from './views.js';

const $ = (sel) => document.querySelector(sel);

function principal() {
  const raw = sessionStorage.getItem('principal');
  return raw ? JSON.parse(raw) : null;
}

function renderChrome() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  $('#title').textContent = `${t('title')} · ${t('console')}`;
  $('#publicity-link').textContent = t('publicity');
  $('#lang').value = lang;
  const p = principal();
  $('#logout').hidden = !p;
  $('#logout').textContent = t('logout');
  $('#who').textContent = p ? `${p.role} · ${p.org}${p.province && p.province !== p.org ? ` · ${p.province}` : ''}` : '';
  const nav = $('#nav');
  nav.hidden = !p;
  if (p) {
    const current = location.hash.slice(1) || 'dashboard';
    nav.innerHTML = VIEWS.filter((v) => v.roles.includes(p.role))
      .map((v) => `<a href="#${v.id}" class="${v.id === current ? 'active' : ''}" data-view="${v.id}">${esc(t(v.id))}</a>`)
      .join('');
  }
}

const DEFAULT_ORG = { delta_operator: 'DELTA', auditor: 'AUDIT', region_admin: '' };

function renderLogin(error = '') {
  $('#main').innerHTML = `
    <section class="card" style="max-width:560px">
      <h2>${esc(t('login'))}</h2>
      <form id="login" class="inline">
        <label>${esc(t('role'))}<select name="role">
          <option value="programme_operator">programme_operator</option>
          <option value="delta_operator">delta_operator</option>
          <option value="region_admin">region_admin</option>
          <option value="auditor">auditor</option>
        </select></label>
        <label>${esc(t('province'))}<select name="province"><option>JS</option><option>ZJ</option><option>SH</option><option>AH</option></select></label>
        <label id="org-field" hidden>${esc(t('org'))}<input name="org" placeholder="DELTA / region id" maxlength="100" /></label>
        <button class="primary" type="submit">${esc(t('login'))}</button>
      </form>
      <p class="error" id="login-error">${esc(error)}</p>
      <p class="muted">Development sign-in (POST /v1/auth/dev-login); production uses the province's identity provider.</p>
    </section>`;
  const form = $('#login');
  // a programme operator's organisation is its province; the others name theirs
  form.role.addEventListener('change', () => {
    const operator = form.role.value === 'programme_operator';
    $('#org-field').hidden = operator;
    form.org.required = !operator;
    form.org.value = DEFAULT_ORG[form.role.value] ?? '';
  });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const role = form.role.value;
    const province = form.province.value;
    const org = role === 'programme_operator' ? province : form.org.value.trim();
    try {
      const { token, principal: p } = await api('POST', '/v1/auth/dev-login', { role, org, province }, null);
      sessionStorage.setItem('token', token);
      sessionStorage.setItem('principal', JSON.stringify(p));
      location.hash = '#dashboard';
      route();
    } catch (err) {
      renderLogin(`${err.code ?? ''} ${err.message}`);
    }
  });
}

// Renders run one after another, so the last navigation is the one shown.
let rendering = Promise.resolve();
function route() {
  rendering = rendering.then(render, render);
  return rendering;
}

async function render() {
  renderChrome();
  const p = principal();
  if (!p) return renderLogin();
  const id = location.hash.slice(1) || 'dashboard';
  const view = VIEWS.find((v) => v.id === id && v.roles.includes(p.role)) ?? VIEWS.find((v) => v.roles.includes(p.role));
  const main = $('#main');
  main.innerHTML = '<p class="muted">…</p>';
  try {
    await view.render(main, { principal: p, api, rerender: route });
  } catch (err) {
    main.innerHTML = `<section class="card"><p class="error">${esc(err.code ?? '')} ${esc(err.message)}</p></section>`;
  }
  // A missing working-day year stops publications: every operator sees it above the view.
  if (p.role !== 'region_admin') {
    const banner = await calendarBanner(api).catch(() => '');
    if (banner) main.insertAdjacentHTML('afterbegin', banner);
  }
}

$('#lang').addEventListener('change', (e) => {
  setLang(e.target.value);
  route();
});
$('#logout').addEventListener('click', () => {
  sessionStorage.clear();
  location.hash = '';
  route();
});
window.addEventListener('hashchange', route);
route();
