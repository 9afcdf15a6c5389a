// One render function per console view. Each receives a context with the API client and helpers.
const OPERATORS = ['programme_operator', 'delta_operator', 'auditor'];

function table(rows, columns, esc) {
  if (!rows.length) return '<p class="muted">—</p>';
  const head = columns.map(([label, , cls]) => `<th class="${cls ?? ''}">${esc(label)}</th>`).join('');
  const body = rows.map((r) => `<tr>${columns.map(([, get, cls]) => `<td class="${cls ?? ''}">${get(r)}</td>`).join('')}</tr>`).join('');
  return `<table><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

const badge = (s, esc) => `<span class="badge ${esc(s)}">${esc(s)}</span>`;

async function dashboard(main, { api, t, yuan, esc, principal }) {
  const { items: programmes } = await api('GET', `/v1/programmes${principal.province && principal.role === 'programme_operator' ? `?province=${principal.province}` : ''}`);
  const tiles = [];
  for (const p of programmes) {
    let balance = null;
    try {
      balance = await api('GET', `/v1/programmes/${p.id}/balance`);
    } catch {
      balance = null;
    }
    const credited = balance ? BigInt(balance.budget.creditedFen) : BigInt(p.budgetFen);
    const left = balance ? BigInt(balance.budget.leftFen) : null;
    tiles.push(`
      <section class="card">
        <h2>${esc(p.id)} ${badge(p.status, esc)} <span class="muted">v${p.version} · ${p.offsetRateBp / 100} % · ${esc(p.mode)}</span></h2>
        <div class="tiles">
          <div class="tile"><div class="label">${t('budget')}</div><div class="value">${yuan(credited)}</div></div>
          <div class="tile"><div class="label">${t('taken')}</div><div class="value">${left === null ? '—' : yuan(credited - left)}</div></div>
          <div class="tile"><div class="label">${t('left')}</div><div class="value">${left === null ? '—' : yuan(left)}</div></div>
        </div>
        <div id="claims-${esc(p.id)}"></div>
      </section>`);
  }
  main.innerHTML = `<h2>${t('dashboard')}</h2>${tiles.join('') || '<p class="muted">—</p>'}`;
}

async function registry(main, { api, t, esc }) {
  const [{ items: providers }, { items: complaints }, { items: records }] = await Promise.all([
    api('GET', '/v1/providers?limit=200'),
    api('GET', '/v1/complaints?limit=200').catch(() => ({ items: [] })),
    api('GET', '/v1/credit-records').catch(() => ({ items: [] })),
  ]);
  main.innerHTML = `
    <section class="card"><h2>${t('registry')}</h2>${table(
      providers,
      [
        [t('provider'), (p) => `${esc(p.legalName)} ${esc(p.unitName)}`],
        [t('province'), (p) => esc(p.province === 'OTHER' ? p.provinceName : p.province)],
        ['kind', (p) => esc(p.kind)],
        [t('state'), (p) => badge(p.suspended ? 'suspended' : p.status, esc)],
        ['complaints', (p) => String(p.upheldComplaints), 'num'],
      ],
      esc,
    )}</section>
    <section class="card"><h2>Complaints</h2>${table(
      complaints,
      [
        [t('provider'), (c) => esc(c.providerId.slice(0, 8))],
        ['category', (c) => esc(c.category)],
        ['description', (c) => esc(c.description)],
        [t('state'), (c) => badge(c.status, esc)],
      ],
      esc,
    )}</section>
    <section class="card"><h2>Credit records</h2>${table(
      records,
      [
        ['credit code', (r) => esc(r.creditCode)],
        ['severity', (r) => badge(r.severity === 'serious' ? 'suspended' : r.severity, esc)],
        ['filed by', (r) => esc(r.filedByProvince)],
        ['effective', (r) => `${esc(r.effectiveFrom)} – ${esc(r.effectiveTo ?? '')}`],
        [t('state'), (r) => badge(r.status, esc)],
      ],
      esc,
    )}</section>`;
}

export const VIEWS = [
  { id: 'dashboard', roles: OPERATORS, render: dashboard },
  { id: 'registry', roles: [...OPERATORS], render: registry },
];
