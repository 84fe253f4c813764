// SPDX-License-Identifier: Apache-2.0
// audit.js - the audit log (operators only; the service refuses it to viewers): who did what
// and when, newest first, as the service recorded it.
import { isOperator, optional } from './api.js';
import { el, show, table, when } from './util.js';

export async function auditView(root) {
  root.append(el('h1', null, 'Audit log'));
  if (!isOperator()) {
    root.append(el('p', { class: 'notice' }, 'The audit log is for operators.'));
    return null;
  }
  const r = await optional('/audit?limit=500');
  if (r === null) {
    root.append(el('p', { class: 'notice', id: 'audit-unavailable' },
      'This service keeps no audit log here (firmware updates not offered).'));
    return null;
  }
  const list = Array.isArray(r.audit) ? r.audit : [];
  root.append(list.length === 0 ? el('p', { class: 'muted', id: 'audit-empty' }, 'Nothing recorded yet.')
    : table(['Time', 'Who', 'Action', 'Detail'], list.map((a) => el('tr', null,
      el('td', null, when(a.at)), el('td', null, show(a.who)), el('td', null, show(a.action)),
      el('td', null, typeof a.detail === 'object' && a.detail !== null ? JSON.stringify(a.detail)
        : show(a.detail)))), { id: 'audit-table' }));
  return null;
}
