// The Canary Release dashboard: plain JavaScript, served by the gateway (no CDN, no build step).
//
// The token the operator enters is kept in sessionStorage (this tab only, gone when it closes) and
// sent as "Authorization: Bearer" on every call; it never goes into a URL, the page or a log line.
// A browser's EventSource cannot send that header, so the live stream (/events, Server-Sent Events)
// is read with fetch and a ReadableStream reader; it resumes with Last-Event-ID after a cut.
// Everything the gateway returns is put into the page as text (textContent), never as HTML.
'use strict';

(function () {
  const TOKEN_KEY = 'canary.dashboard.token';
  // the states each verb is taken in (events' OperatorCommand; the gateway answers 409 otherwise)
  const VERBS = {
    promote: new Set(['CANARY_LIVE']),
    pause: new Set(['PROMOTING']),
    resume: new Set(['PAUSED']),
    abort: new Set([
      'PENDING', 'BUILDING', 'BUILT', 'CANARY_UPDATING', 'CANARY_LIVE', 'PROMOTING', 'PAUSED',
    ]),
    rollback: new Set(['PROMOTED']),
    retry: new Set(['FAILED']),
  };
  // "Deploy this version": a new release of this release's image (POST /apps/{app}/deploy), offered
  // once the release is over (no release of an image still on its way is deployed again)
  const DEPLOYABLE = new Set(['PROMOTED', 'FAILED', 'ABORTED', 'ROLLED_BACK', 'SUPERSEDED']);
  const $ = (id) => document.getElementById(id);

  const view = {
    role: null,
    selected: null,
    detail: null,
    stream: null, // the AbortController of the open stream
    lastEventId: null,
    refreshTimer: null,
    listDirty: false,
    detailDirty: false,
  };

  // ---- the gateway's API ------------------------------------------------------------------------

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  class ApiError extends Error {
    constructor(status, message) {
      super(message);
      this.status = status;
    }
  }

  async function api(path, options) {
    const opts = options || {};
    const headers = Object.assign({ Accept: 'application/json' }, opts.headers || {});
    headers.Authorization = 'Bearer ' + token();
    const r = await fetch(path, Object.assign({}, opts, { headers, cache: 'no-store' }));
    let body = null;
    try {
      body = await r.json();
    } catch (e) {
      body = null;
    }
    if (!r.ok) {
      const reason = body && body.error ? body.error : r.status + ' ' + r.statusText;
      if (r.status === 401) {
        signOut('The gateway refused the token (' + reason + '): sign in again.');
      }
      throw new ApiError(r.status, reason);
    }
    return body;
  }

  // ---- signing in and out -----------------------------------------------------------------------

  function message(text) {
    const m = $('message');
    m.textContent = text || '';
    m.hidden = !text;
  }

  async function signIn(event) {
    event.preventDefault();
    const t = $('token').value.trim();
    $('token').value = '';
    if (!t) {
      message('Enter an API token (the tokens file of the gateway; .canary/env has OPERATOR_TOKEN).');
      return;
    }
    sessionStorage.setItem(TOKEN_KEY, t);
    await start();
  }

  async function start() {
    let me;
    try {
      me = await api('/whoami');
    } catch (e) {
      if (e.status !== 401) message('Cannot reach the gateway: ' + e.message);
      return;
    }
    message('');
    view.role = me.role;
    $('who').textContent = me.name + ' · ' + me.role;
    $('who').dataset.role = me.role;
    $('sign-in').hidden = true;
    $('session').hidden = false;
    $('dashboard').hidden = false;
    await refreshList();
    await route();
    openStream();
  }

  function signOut(why) {
    sessionStorage.removeItem(TOKEN_KEY);
    if (view.stream) view.stream.abort();
    view.stream = null;
    view.role = null;
    view.detail = null;
    view.lastEventId = null;
    $('session').hidden = true;
    $('dashboard').hidden = true;
    $('sign-in').hidden = false;
    $('release-rows').replaceChildren();
    message(typeof why === 'string' ? why : '');
  }

  // ---- the live stream --------------------------------------------------------------------------

  function streamStatus(state, text) {
    const s = $('stream-status');
    s.dataset.state = state;
    s.textContent = text;
  }

  async function openStream() {
    if (view.stream) view.stream.abort();
    const controller = new AbortController();
    view.stream = controller;
    const headers = { Accept: 'text/event-stream', Authorization: 'Bearer ' + token() };
    if (view.lastEventId) headers['Last-Event-ID'] = view.lastEventId;
    streamStatus('connecting', 'stream connecting');
    try {
      const r = await fetch('/events', { headers, signal: controller.signal, cache: 'no-store' });
      if (r.status === 401) {
        signOut('The gateway refused the token on the event stream: sign in again.');
        return;
      }
      if (!r.ok || !r.body) throw new Error('HTTP ' + r.status);
      streamStatus('live', 'live');
      await readEvents(r.body);
      throw new Error('the stream ended');
    } catch (e) {
      if (controller.signal.aborted || view.stream !== controller) return;
      streamStatus('retry', 'stream cut (' + e.message + '), reconnecting');
      setTimeout(() => {
        if (view.stream === controller) openStream();
      }, 2000);
    }
  }

  // Server-Sent Events framing (the parts the gateway sends: id, data, comments)
  async function readEvents(body) {
    const reader = body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let id = null;
    let data = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        let line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.endsWith('\r')) line = line.slice(0, -1);
        if (line === '') {
          if (data.length) dispatch(id, data.join('\n'));
          id = null;
          data = [];
        } else if (line.startsWith(':')) {
          // a comment (the stream's opening line)
        } else {
          const colon = line.indexOf(':');
          const field = colon < 0 ? line : line.slice(0, colon);
          let v = colon < 0 ? '' : line.slice(colon + 1);
          if (v.startsWith(' ')) v = v.slice(1);
          if (field === 'id') id = v;
          else if (field === 'data') data.push(v);
        }
      }
    }
  }

  function dispatch(id, data) {
    if (id) view.lastEventId = id;
    let event;
    try {
      event = JSON.parse(data);
    } catch (e) {
      return;
    }
    const releaseId = event.subject || (event.data && event.data.releaseId) || null;
    view.listDirty = true;
    if (view.selected && releaseId === view.selected) view.detailDirty = true;
    // the read model has applied the event before the stream sends it: read it again, at most
    // every 200 ms however many events come
    if (!view.refreshTimer) {
      view.refreshTimer = setTimeout(refreshDirty, 200);
    }
  }

  async function refreshDirty() {
    view.refreshTimer = null;
    const list = view.listDirty;
    const detail = view.detailDirty;
    view.listDirty = false;
    view.detailDirty = false;
    try {
      if (list) await refreshList();
      if (detail) await refreshDetail();
    } catch (e) {
      // shown by the calls themselves
    }
  }

  // ---- the releases list ------------------------------------------------------------------------

  function shortSha(sha) {
    return sha ? sha.slice(0, 7) : '-';
  }

  function version(digest) {
    if (!digest) return '-';
    const colon = digest.indexOf(':');
    const hex = colon < 0 ? digest : digest.slice(colon + 1);
    return (colon < 0 ? '' : digest.slice(0, colon + 1)) + hex.slice(0, 12);
  }

  function clock(iso) {
    if (!iso) return '-';
    const d = new Date(iso);
    return isNaN(d) ? iso : d.toISOString().slice(11, 23);
  }

  function cell(text, cls) {
    const td = document.createElement('td');
    td.textContent = text == null || text === '' ? '-' : String(text);
    if (cls) td.className = cls;
    return td;
  }

  function stateBadge(state) {
    const s = document.createElement('span');
    s.className = 'state';
    s.dataset.state = state;
    s.textContent = state;
    return s;
  }

  async function refreshList() {
    let page;
    try {
      page = await api('/releases?size=50');
    } catch (e) {
      if (e.status !== 401) message('Releases: ' + e.message);
      return;
    }
    const rows = page.items.map((r) => {
      const tr = document.createElement('tr');
      tr.dataset.releaseId = r.id;
      tr.dataset.state = r.state;
      if (r.id === view.selected) tr.className = 'selected';
      const idCell = document.createElement('td');
      idCell.className = 'mono';
      const a = document.createElement('a');
      a.href = '#release=' + encodeURIComponent(r.id);
      a.textContent = r.id;
      idCell.append(a);
      const stateCell = document.createElement('td');
      stateCell.className = 'release-state';
      stateCell.append(stateBadge(r.state));
      tr.append(
        idCell,
        cell(r.app),
        stateCell,
        cell(shortSha(r.commitSha), 'mono'),
        cell(r.pusher),
        cell(clock(r.updatedAt), 'mono')
      );
      return tr;
    });
    $('release-rows').replaceChildren(...rows);
    $('releases-empty').hidden = rows.length > 0;
  }

  // ---- one release ------------------------------------------------------------------------------

  async function route() {
    const m = /^#release=(.+)$/.exec(location.hash);
    const id = m ? decodeURIComponent(m[1]) : null;
    view.selected = id;
    for (const tr of $('release-rows').children) {
      tr.className = tr.dataset.releaseId === id ? 'selected' : '';
    }
    if (!id) {
      $('release').hidden = true;
      return;
    }
    $('action-result').textContent = '';
    await refreshDetail();
  }

  async function refreshDetail() {
    const id = view.selected;
    if (!id || !token()) return;
    let d;
    try {
      d = await api('/releases/' + encodeURIComponent(id));
    } catch (e) {
      if (e.status === 404) message('No release ' + id + '.');
      else if (e.status !== 401) message('Release ' + id + ': ' + e.message);
      return;
    }
    if (view.selected !== id) return;
    view.detail = d;
    renderDetail(d);
  }

  function shortType(type) {
    return type && type.startsWith('dev.canaryrelease.') ? type.slice(18) : type;
  }

  function between(a, b) {
    if (!a || !b) return '-';
    const ms = new Date(b) - new Date(a);
    return ms >= 0 ? ms + ' ms' : '-';
  }

  // per host, from the release's own events: the last cycle's drain (update requested → drained,
  // and the sessions HAProxy still had), swap (drained → updated) and health (updated → enabled:
  // HAProxy's health check reports it UP)
  function hostNumbers(timeline) {
    const at = {};
    for (const e of timeline) {
      const host = e.data && e.data.host;
      if (!host) continue;
      const t = (at[host] = at[host] || {});
      t[shortType(e.type)] = e;
    }
    const out = {};
    for (const [host, t] of Object.entries(at)) {
      const time = (k) => t[k] && t[k].time;
      const drained = t['host.drained'] && t['host.drained'].data;
      out[host] = {
        drain: between(time('host.update-requested'), time('host.drained')),
        sessions: drained
          ? drained.sessionsAtDrain +
            ' (waited ' + drained.waitedMs + ' ms' + (drained.forced ? ', forced' : '') + ')'
          : '-',
        swap: between(time('host.drained'), time('host.updated')),
        health: between(time('host.updated'), time('host.enabled')),
      };
    }
    return out;
  }

  // a fraction as a percentage with one decimal; '-' when unknown (null, or below 0)
  function share(v) {
    return typeof v === 'number' && v >= 0 ? (v * 100).toFixed(1) + '%' : '-';
  }

  function millis(p50, p95) {
    return typeof p50 === 'number' && p50 >= 0 ? p50 + '/' + p95 + ' ms' : '-';
  }

  // the canary analysis's latest windows and a weighted canary's steps (the gateway's analysis)
  function renderAnalysis(a) {
    $('analysis').hidden = !a;
    if (!a) return;
    const windows = a.windows || [];
    $('analysis-count').textContent = '(latest ' + windows.length + ' of ' + a.judged + ' windows judged)';
    $('analysis-rows').replaceChildren(
      ...windows.map((w) => {
        const tr = document.createElement('tr');
        tr.dataset.window = w.window;
        tr.append(
          cell(w.window),
          cell(w.outcome, 'verdict'),
          cell(w.failures + '/' + w.failureLimit),
          cell(w.weightStep || '-'),
          cell(w.canaryRequests),
          cell(share(w.canaryErrorRate)),
          cell(millis(w.canaryP50Ms, w.canaryP95Ms)),
          cell(w.baselineRequests),
          cell(share(w.baselineErrorRate)),
          cell(millis(w.baselineP50Ms, w.baselineP95Ms)),
          cell(w.weightStep ? share(w.wantedShare) + '/' + share(w.servedShare) : '-', 'share'),
          cell(w.reason, 'reason')
        );
        return tr;
      })
    );
    const steps = a.steps || [];
    $('weighted').hidden = steps.length === 0;
    $('step-rows').replaceChildren(
      ...steps.map((st) => {
        const ended = typeof st.servedShare === 'number';
        const weights = Object.entries(st.weights || {}).sort().map(([k, v]) => k + '=' + v).join(' ');
        const tr = document.createElement('tr');
        tr.dataset.step = st.step;
        tr.append(
          cell(st.step),
          cell(share(st.wantedShare)),
          cell(share(st.weightShare)),
          cell(ended ? share(st.servedShare) : '(running)', 'served'),
          cell(ended ? st.canarySessions + ' of ' + st.sessions : '-'),
          cell(weights, 'mono')
        );
        return tr;
      })
    );
  }

  function renderDetail(d) {
    $('release').hidden = false;
    $('release-title').textContent = d.id + ' · ' + d.app;
    const state = $('release-state');
    state.dataset.state = d.state;
    state.textContent = d.state;

    const meta = [
      ['Commit', shortSha(d.commitSha) + (d.ref ? ' (' + d.ref + ')' : '')],
      ['Pusher', d.pusher],
      ['Image', d.image ? d.image + (d.tag ? ':' + d.tag : '') : null],
      ['Digest', d.digest],
      ['Created', d.createdAt],
      ['Updated', d.updatedAt],
      ['Reason', d.reason],
    ];
    const dl = [];
    for (const [k, v] of meta) {
      if (v == null || v === '') continue;
      const dt = document.createElement('dt');
      dt.textContent = k;
      const dd = document.createElement('dd');
      dd.textContent = v;
      dl.push(dt, dd);
    }
    $('release-meta').replaceChildren(...dl);

    const operator = view.role === 'operator';
    $('actions').hidden = !operator;
    $('deploy').disabled = !operator || !d.digest || !DEPLOYABLE.has(d.state);
    for (const [verb, states] of Object.entries(VERBS)) {
      $(verb).disabled = !operator || !states.has(d.state);
    }

    const numbers = hostNumbers(d.timeline || []);
    $('hosts').replaceChildren(
      ...(d.hosts || []).map((h) => {
        const n = numbers[h.name] || { drain: '-', sessions: '-', swap: '-', health: '-' };
        const tr = document.createElement('tr');
        tr.dataset.host = h.name;
        tr.append(
          cell(h.name),
          cell(h.role),
          cell(version(h.digest), 'mono version'),
          cell(version(h.previousDigest), 'mono'),
          cell(h.lbState, 'lb'),
          cell(h.runsRelease ? 'yes' : 'no', 'runs'),
          cell(h.lastStage),
          cell(n.drain, 'drain'),
          cell(n.sessions, 'sessions'),
          cell(n.swap, 'swap'),
          cell(n.health, 'health')
        );
        return tr;
      })
    );

    renderAnalysis(d.analysis);

    const timeline = d.timeline || [];
    const byId = new Map(timeline.map((e) => [e.id, e]));
    $('timeline-count').textContent =
      '(' + timeline.length + ' events' +
      (d.earlierEvents ? ', ' + d.earlierEvents + ' earlier ones folded in' : '') + ')';
    $('timeline').replaceChildren(
      ...timeline.map((e) => {
        const li = document.createElement('li');
        li.id = 'event-' + e.id;
        li.dataset.type = shortType(e.type);
        const time = document.createElement('span');
        time.className = 'time';
        time.textContent = clock(e.time);
        const type = document.createElement('span');
        type.className = 'type';
        type.textContent = shortType(e.type);
        const what = document.createElement('span');
        what.className = 'what';
        const data = e.data || {};
        const source = e.source ? e.source.slice(e.source.lastIndexOf('/') + 1) : '';
        let text = source;
        if (data.host) text += ' · host ' + data.host;
        if (data.stage) text += ' · ' + data.stage;
        if (data.operator) text += ' · by ' + data.operator;
        if (data.reason) text += ': ' + data.reason;
        what.textContent = text;
        li.append(time, type, what);
        if (e.causationId) {
          const cause = document.createElement('span');
          cause.className = 'cause muted';
          const parent = byId.get(e.causationId);
          if (parent) {
            cause.append('← caused by ');
            const b = document.createElement('button');
            b.type = 'button';
            b.textContent = shortType(parent.type) + ' ' + clock(parent.time);
            b.addEventListener('click', () => highlight(parent.id));
            cause.append(b);
          } else {
            cause.textContent = '← caused by event ' + e.causationId;
          }
          li.append(cause);
        }
        return li;
      })
    );
  }

  function highlight(id) {
    for (const li of document.querySelectorAll('#timeline li.highlight')) li.classList.remove('highlight');
    const li = document.getElementById('event-' + id);
    if (li) {
      li.classList.add('highlight');
      li.scrollIntoView({ block: 'center' });
    }
  }

  async function command(verb) {
    const id = view.selected;
    const result = $('action-result');
    result.className = '';
    result.textContent = verb + ' …';
    const reason = $('reason').value.trim();
    try {
      const a = await api('/releases/' + encodeURIComponent(id) + '/' + verb, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(reason ? { reason } : {}),
      });
      result.textContent = a.type + ' published by ' + a.operator + (a.reason ? ': ' + a.reason : '');
      $('reason').value = '';
      if (a.retryOf && a.releaseId !== id) {
        // a retry is a new release: show it
        location.hash = '#release=' + encodeURIComponent(a.releaseId);
      }
    } catch (e) {
      result.className = 'error';
      result.textContent = verb + ' refused (' + e.status + '): ' + e.message;
    }
  }

  async function deployThisVersion() {
    const d = view.detail;
    const result = $('action-result');
    result.className = '';
    result.textContent = 'deploy …';
    const reason = $('reason').value.trim();
    const body = { ref: d.digest };
    if (reason) body.reason = reason;
    try {
      const a = await api('/apps/' + encodeURIComponent(d.app) + '/deploy', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
      result.textContent = a.type + ' published by ' + a.operator + ': release ' + a.releaseId;
      $('reason').value = '';
      // a deploy is a new release: show it
      location.hash = '#release=' + encodeURIComponent(a.releaseId);
    } catch (e) {
      result.className = 'error';
      result.textContent = 'deploy refused (' + e.status + '): ' + e.message;
    }
  }

  // ---- wiring -----------------------------------------------------------------------------------

  document.addEventListener('DOMContentLoaded', () => {
    $('sign-in').addEventListener('submit', signIn);
    $('sign-out').addEventListener('click', () => signOut(''));
    for (const verb of Object.keys(VERBS)) {
      $(verb).addEventListener('click', () => command(verb));
    }
    $('deploy').addEventListener('click', deployThisVersion);
    window.addEventListener('hashchange', route);
    if (token()) start();
  });
})();
