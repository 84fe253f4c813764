// SPDX-License-Identifier: Apache-2.0
// app.js - the dashboard's shell: sign-in, sign-out, the navigation and a hash router
// (#/fleet, #/meters/<id>, #/campaigns, #/campaigns/new, #/campaigns/<id>, #/audit).
// Every view is a function (root, params) that may return a clean-up function (timers).
// Views are loaded when first shown, so the fleet page does not wait for the chart library.
import { allPages, api, isOperator, session, setUnauthorizedHandler, signIn, signOut } from './api.js';
import { clear, el, errorBox } from './util.js';

const view = document.getElementById('view');
let cleanup = null;

function loginView(root) {
  const name = el('input', { name: 'name', autocomplete: 'username', required: true });
  const password = el('input', { name: 'password', type: 'password',
    autocomplete: 'current-password', required: true });
  const msg = el('p', { class: 'error', role: 'alert' });
  const form = el('form', { class: 'login card', id: 'login' },
    el('h1', null, 'Sign in'),
    el('label', null, 'Name', name),
    el('label', null, 'Password', password),
    el('button', { class: 'primary', type: 'submit' }, 'Sign in'),
    msg);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    msg.textContent = '';
    try {
      await signIn(name.value, password.value);
      password.value = '';
      go('#/fleet');
    } catch (e) {
      msg.textContent = e.status === 401 ? 'Wrong name or password.' : e.message;
    }
  });
  root.append(form);
  name.focus();
}

function chrome() {
  const s = session();
  document.getElementById('nav').hidden = !s;
  document.getElementById('signout').hidden = !s;
  document.getElementById('who').textContent = s ? `${s.name} (${s.role})` : '';
  for (const a of document.querySelectorAll('#nav [data-role=operator]')) {
    a.hidden = !isOperator();
  }
  const top = (location.hash.split('/')[1] || '').replace('meters', 'fleet');
  for (const a of document.querySelectorAll('#nav a')) {
    a.classList.toggle('active', a.dataset.nav === top);
  }
}

const routes = [
  [/^#\/fleet$/, () => import('./fleet.js'), 'fleetView'],
  [/^#\/meters\/([A-Za-z0-9-]{1,32})$/, () => import('./meter.js'), 'meterView'],
  [/^#\/campaigns$/, () => import('./campaigns.js'), 'campaignListView'],
  [/^#\/campaigns\/new$/, () => import('./campaigns.js'), 'campaignNewView'],
  [/^#\/campaigns\/(\d{1,12})$/, () => import('./campaigns.js'), 'campaignView'],
  [/^#\/audit$/, () => import('./audit.js'), 'auditView'],
];
let shown = 0;   // a view that finishes loading after the next route() must not draw

export function route() {
  if (cleanup) cleanup();
  cleanup = null;
  clear(view);
  const me = ++shown;
  const hash = location.hash || '#/fleet';
  if (!session()) {
    chrome();
    loginView(view);
    return;
  }
  chrome();
  const box = el('div');   // a view left behind draws into a detached box
  view.append(box);
  for (const [re, load, name] of routes) {
    const m = re.exec(hash);
    if (m) {
      load()
        .then((mod) => (me === shown ? mod[name](box, m.slice(1)) : null))
        .then((c) => {
          if (typeof c !== 'function') return;
          if (me === shown) cleanup = c;
          else c();
        })
        .catch((e) => box.append(errorBox(e)));
      return;
    }
  }
  view.append(el('p', null, 'No such page. ', el('a', { href: '#/fleet' }, 'Fleet')));
}

// Show hash: through hashchange when it changes, at once when it does not.
export function go(hash) {
  if (location.hash === hash) route();
  else location.hash = hash;
}

setUnauthorizedHandler(() => go('#/login'));
document.getElementById('signout').addEventListener('click', async () => {
  try {
    await signOut();
  } catch {
    // the local session is dropped anyway
  }
  go('#/login');
});
window.addEventListener('hashchange', route);
route();

// For the tests and the benchmark: the API as the page calls it.
window.meterseal = { api, allPages };
