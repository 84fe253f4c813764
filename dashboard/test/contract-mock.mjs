// SPDX-License-Identifier: Apache-2.0
// contract-mock.mjs - the campaign part of the HTTP API as its contract describes it
// (docs/ota.md; firmware, campaigns, per-meter updates, audit), answered inside the browser
// (playwright's request routing) so the dashboard's campaign views are tested before the
// service implements them. Only those routes are taken over; sign-in, meters, readings and
// events still come from the real service. A campaign moves on each time it is read while
// running. Every changing request must carry a 64-hex-digit X-CSRF-Token, or it is refused
// with 403 like the real service does; what the page sent is recorded for the test.
const HEX64 = /^[0-9a-f]{64}$/;

// viewer: the session is a viewer's, so every change is refused (403) as the service does.
export function campaignMock({ viewer = false } = {}) {
  const now = () => Math.floor(Date.now() / 1000);
  const m = {
    requests: [],
    audit: [],
    firmware: [{ sha256: 'ab'.repeat(32), version: '1.3.0', security_counter: 5, size: 262144,
      uploaded_by: 'alice', uploaded_at: now() - 3600 }],
    c: null,
  };
  const newCampaign = (body) => ({
    id: 7, name: body.name, state: 'created', firmware_sha256: body.firmware_sha256,
    version: '1.3.0', created_by: 'alice', created_at: now(), ticks: 0, body,
    plan: [2, 18],   // meters per wave
  });
  m.c = newCampaign({ name: 'spring roll-out', firmware_sha256: 'ab'.repeat(32) });

  function counts(c) {
    const total = c.plan.reduce((a, b) => a + b, 0);
    const done = Math.min(total - 1, c.ticks * 2);   // one meter fails, see below
    const failed = c.ticks >= 3 ? 1 : 0;
    const waves = [];
    let left = done;
    let base = 0;
    for (const [index, n] of c.plan.entries()) {
      const success = Math.min(n, left);
      left -= success;
      const f = index === c.plan.length - 1 ? failed : 0;
      const started = index === 0 || done >= base;
      const rest = Math.max(0, n - success - f);
      const active = started && c.state === 'running' ? Math.min(rest, 3) : 0;
      waves.push({ index, percent: index === 0 ? 10 : 100,
        state: success + f === n ? 'finished' : started && c.state !== 'created' ? c.state : 'created',
        total: n, queued: rest - active, downloading: active, downloaded: 0, verifying: 0,
        installing: 0, success, failed: f, reverted: 0 });
      base += n;
    }
    const sum = (k) => waves.reduce((a, w) => a + w[k], 0);
    return { total, success: sum('success'), failed: sum('failed'), reverted: 0,
      in_progress: sum('downloading'), waves };
  }

  function summary(c, withWaves) {
    const k = counts(c);
    const o = { id: c.id, name: c.name, state: c.state, firmware_sha256: c.firmware_sha256,
      version: c.version, created_by: c.created_by, created_at: c.created_at, total: k.total,
      success: k.success, failed: k.failed, reverted: k.reverted, in_progress: k.in_progress };
    if (withWaves) o.waves = k.waves;
    return o;
  }

  const next = { start: { created: 'running' }, pause: { running: 'paused' },
    resume: { paused: 'running', halted: 'running' },
    cancel: { created: 'cancelled', running: 'cancelled', paused: 'cancelled', halted: 'cancelled' } };

  m.install = async (context) => {
    await context.route(/\/api\/v1\/(campaigns|firmware|audit)([/?]|$)/, async (route) => {
      const req = route.request();
      const url = new URL(req.url());
      const method = req.method();
      const path = url.pathname.replace('/api/v1', '');
      const json = (status, body) => route.fulfill({ status, contentType: 'application/json',
        body: JSON.stringify(body) });
      const csrf = req.headers()['x-csrf-token'];
      m.requests.push({ method, path, query: url.search, csrf, body: method === 'POST' ? req.postData() : null });
      if (method !== 'GET' && !HEX64.test(csrf || '')) {
        return json(403, { error: 'forbidden', reason: 'missing or wrong X-CSRF-Token' });
      }
      if (method !== 'GET' && viewer) {
        return json(403, { error: 'forbidden', reason: 'this needs the operator role' });
      }
      const c = m.c;
      let a;
      // listings come in pages: ?limit= (default 100, at most 1000) records after ?after=
      const limit = url.searchParams.has('limit') ? Number(url.searchParams.get('limit')) : 100;
      const after = url.searchParams.get('after');
      if (!Number.isInteger(limit) || limit < 0 || limit > 1000) {
        return json(400, { error: 'bad_request', reason: "query parameter 'limit' must be an integer 0..1000" });
      }
      if (method === 'GET' && path === '/campaigns') {
        return json(200, { campaigns: after !== null && Number(after) >= c.id ? []
          : [summary(c, false)].slice(0, limit) });
      }
      if (method === 'POST' && path === '/campaigns') {
        m.c = newCampaign(JSON.parse(req.postData() || '{}'));
        m.audit.unshift({ at: now(), who: 'alice', action: 'campaign.create', detail: `id=7` });
        return json(201, { id: 7 });
      }
      if (method === 'GET' && path === '/campaigns/7') {
        if (c.state === 'running') c.ticks += 1;
        return json(200, summary(c, true));
      }
      if (method === 'GET' && path === '/campaigns/7/meters') {
        const k = counts(c);
        const meters = [];
        let i = 1;
        for (const w of k.waves) {
          for (let j = 0; j < w.total; j++, i++) {
            const state = j < w.success ? 'success' : j < w.success + w.failed ? 'failed'
              : j < w.success + w.failed + w.downloading ? 'downloading' : 'queued';
            meters.push({ meter_id: `m-${String(i).padStart(6, '0')}`, wave: w.index, state,
              progress: state === 'success' ? 262144 : state === 'downloading' ? 104448 : 0,
              result: state === 'failed' ? 'integrity check failure' : null,
              reason: state === 'failed' ? 'image signature does not verify' : null,
              retries: state === 'failed' ? 3 : 0, updated_at: now() });
          }
        }
        const state = url.searchParams.get('state');
        const wave = url.searchParams.get('wave');
        return json(200, { meters: meters.filter((x) => (after === null || x.meter_id > after)
          && (state === null || x.state === state) && (wave === null || x.wave === Number(wave)))
          .slice(0, limit) });
      }
      if (method === 'POST' && (a = /^\/campaigns\/7\/(start|pause|resume|cancel)$/.exec(path))) {
        const to = m.refuseNext ? undefined : next[a[1]][c.state];
        m.refuseNext = false;
        if (!to) return json(409, { error: 'conflict', reason: `cannot ${a[1]} a ${c.state} campaign` });
        c.state = to;
        m.audit.unshift({ at: now(), who: 'alice', action: `campaign.${a[1]}`, detail: 'id=7' });
        return json(200, { id: 7, state: to });
      }
      if (method === 'GET' && path === '/firmware') {
        const at = after === null ? 0 : m.firmware.findIndex((f) => f.sha256 === after) + 1;
        return json(200, { firmware: at === 0 && after !== null ? []
          : m.firmware.slice(at, at + limit) });
      }
      if (method === 'POST' && path === '/firmware') {
        const f = { sha256: 'cd'.repeat(32), version: '1.4.0', security_counter: 6,
          size: (req.postDataBuffer() || Buffer.alloc(0)).length, uploaded_by: 'alice', uploaded_at: now() };
        m.firmware.push(f);
        return json(201, f);
      }
      if (method === 'GET' && path === '/audit') return json(200, { audit: m.audit });
      return json(404, { error: 'not_found', reason: 'no such route' });
    });
  };
  return m;
}
