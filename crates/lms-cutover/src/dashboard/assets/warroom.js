// The war room's page: signs in with a run credential when the run has
// them, follows the run through server-sent events (one snapshot per
// journal change), draws it, and sends decisions and rollbacks to the
// control API. Everything is built with DOM calls: no HTML from data.
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  let me = null;
  let snap = null;
  let buttonsKey = '';
  let source = null;

  function el(tag, attrs, ...children) {
    const ns = ['svg', 'line', 'polyline', 'rect', 'text', 'circle', 'title'].includes(tag) ? 'http://www.w3.org/2000/svg' : null;
    const e = ns ? document.createElementNS(ns, tag) : document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.setAttribute('class', v);
      else if (k === 'text') e.textContent = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children) {
      if (c === null || c === undefined) continue;
      e.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return e;
  }

  function replace(node, ...children) {
    node.replaceChildren(...children.filter((c) => c !== null && c !== undefined));
  }

  const hms = (iso) => (iso ? new Date(iso).toISOString().slice(11, 19) : '—');

  function dur(secs) {
    if (secs === null || secs === undefined) return '—';
    const a = Math.abs(secs);
    let t;
    if (a < 60) t = a.toFixed(a < 10 ? 1 : 0) + ' s';
    else if (a < 3600) t = Math.floor(a / 60) + ' min ' + Math.round(a % 60) + ' s';
    else t = Math.floor(a / 3600) + ' h ' + Math.round((a % 3600) / 60) + ' min';
    return (secs < 0 ? '−' : '') + t;
  }

  function fmt(v, unit) {
    if (v === null || v === undefined) return 'no data';
    return (unit === '%' ? v.toFixed(2) : Math.round(v)) + ' ' + unit;
  }

  async function api(method, path, body) {
    const init = { method, credentials: 'same-origin', headers: {} };
    if (body !== undefined) {
      init.headers['Content-Type'] = 'application/json';
      init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    let data = {};
    try { data = await res.json(); } catch (_) { data = {}; }
    return { status: res.status, ok: res.ok, data };
  }

  // ---- who is looking -------------------------------------------------

  async function loadMe() {
    const r = await api('GET', '/api/me');
    me = r.data;
    const who = $('who-text');
    if (me.signed_in) {
      who.textContent = 'Signed in as ' + me.name + ' (' + me.role + ')' +
        (me.may_decide ? ': you decide and roll back.' : ': you watch; the ' + me.needed_role + ' decides.');
      $('sign-out').hidden = false;
    } else if (me.needs_name) {
      who.textContent = 'This run has no per-person credentials: anyone here watches; deciding takes your name.';
    } else {
      who.textContent = 'Not signed in.';
    }
    $('name-field').hidden = !me.needs_name;
    $('rollback-name-field').hidden = !me.needs_name;
    $('decide-by').required = !!me.needs_name;
    $('rollback-by').required = !!me.needs_name;
    if (me.may_watch) {
      $('sign-in-panel').hidden = true;
      $('live').hidden = false;
      follow();
    } else {
      $('sign-in-panel').hidden = false;
      $('live').hidden = true;
      $('connection').textContent = 'Sign in to follow the run.';
    }
  }

  async function signIn(ev) {
    ev.preventDefault();
    const r = await api('POST', '/api/session', { token: $('token').value });
    $('token').value = '';
    if (r.ok) {
      $('sign-in-result').textContent = '';
      await loadMe();
    } else {
      $('sign-in-result').textContent = 'Not signed in: ' + (r.data.error || ('HTTP ' + r.status));
    }
  }

  async function signOut() {
    await api('DELETE', '/api/session');
    if (source) source.close();
    window.location.reload();
  }

  // ---- following the run ---------------------------------------------

  function follow() {
    if (source) return;
    source = new EventSource('/api/events');
    source.addEventListener('open', () => {
      $('connection').textContent = 'Live: the page follows the journal as it grows.';
    });
    source.addEventListener('state', (e) => {
      try {
        render(JSON.parse(e.data));
      } catch (err) {
        $('connection').textContent = 'Could not read an update: ' + err;
      }
    });
    source.addEventListener('error', () => {
      $('connection').textContent = 'Connection lost: reconnecting… (the controller may have ended the run)';
    });
  }

  function render(s) {
    snap = s;
    document.body.setAttribute('data-records', String(s.records));
    $('run-id').textContent = s.run_id;
    $('plan').textContent = s.plan_id ? s.plan_id + ' — ' + s.plan_title : '';
    $('headline').textContent = s.headline;
    $('records').textContent = String(s.records);
    $('updated').textContent = hms(s.generated_at) + ' UTC';
    const v = $('verdict');
    v.hidden = !s.verdict;
    v.textContent = s.verdict || '';
    $('controller').textContent = !s.controls
      ? 'Read-only: served from the journal (lms cutover dashboard). Decide and roll back on the controller\u2019s dashboard or with lms cutover decide / rollback.'
      : s.controller
        ? 'Controller running: decisions and rollbacks from this page go to it.'
        : 'No controller runs this run: nothing can be decided here.';
    renderWeights(s);
    renderCheckpoint(s);
    renderRollback(s);
    renderGates(s);
    renderTimeline(s);
    renderDecisions(s);
  }

  function renderWeights(s) {
    const w = s.weights.set;
    const bar = el('svg', { viewBox: '0 0 300 28', role: 'img', 'aria-label': 'Traffic: blue ' + w.blue + ' %, green ' + w.green + ' %' },
      el('rect', { x: 0, y: 0, width: 3 * w.blue, height: 28, fill: '#2563eb' }),
      el('rect', { x: 3 * w.blue, y: 0, width: 3 * w.green, height: 28, fill: '#15803d' }));
    const lines = [el('p', { text: 'Set by the run: blue ' + w.blue + ' % / green ' + w.green + ' %' })];
    const r = s.weights.reported;
    if (r) {
      lines.push(el('p', { class: s.weights.drift ? 'bad' : 'muted',
        text: 'Reported by the traffic controller at ' + hms(s.weights.reported_at) + ' UTC: blue ' + r.blue + ' % / green ' + r.green + ' %' +
          (s.weights.drift ? ' — DRIFT: not the split the run set' : '') }));
    }
    replace($('weights'), bar, ...lines);
  }

  function renderCheckpoint(s) {
    const c = s.checkpoint;
    const panel = $('checkpoint-panel');
    const h = $('holding');
    h.hidden = !s.holding;
    h.textContent = s.holding ? 'Checkpoint ' + s.holding.n + ' is on hold: extended monitoring until ' + hms(s.holding.until) +
      ' UTC, then it asks again (round ' + s.holding.round + ').' : '';
    panel.hidden = !c;
    if (!c) {
      buttonsKey = '';
      return;
    }
    $('checkpoint-title').textContent = 'Checkpoint ' + c.n + ': ' + c.name + ' (round ' + c.round + ')';
    const meta = ['Evidence ' + c.evidence + ' (' + c.samples + ' sample(s) this round)'];
    if (c.suggestion) meta.push('the answers point to ' + c.suggestion);
    if (c.decide_by) meta.push('decide by ' + hms(c.decide_by) + ' UTC or the plan\u2019s default is taken');
    if (c.automatic) meta.push('the plan lets the engine decide this by itself');
    if (c.insufficient_data) meta.push('too little data: going forward needs an override reason');
    $('checkpoint-meta').textContent = meta.join(' · ');
    const rows = c.questions.map((q) => el('tr', {},
      el('td', { text: q.text }),
      el('td', { class: q.good === true ? 'ok' : q.good === false ? 'bad' : 'pending',
        text: q.answer.toUpperCase() + (q.good === true ? ' (good)' : q.good === false ? ' (bad)' : '') }),
      el('td', { text: q.evidence })));
    replace($('questions').tBodies[0], ...rows);
    replace($('forced-hold'), ...c.forced_hold.map((f) => el('li', { text: 'Forces a hold: ' + f })));
    const form = $('decide');
    form.hidden = !s.can_act || c.automatic;
    $('decide-evidence').textContent = 'You decide on evidence ' + c.evidence + '.' +
      (me && me.signed_in && !me.may_decide ? ' You are signed in as ' + me.role + ': only the ' + me.needed_role + '\u2019s credential can decide.' : '');
    const key = c.n + '.' + c.round + ':' + c.decisions.map((d) => d.value).join(',');
    if (key !== buttonsKey) {
      buttonsKey = key;
      replace($('decide-buttons'), ...c.decisions.map((d) => el('button', {
        type: 'submit', name: 'decision', value: d.value, 'data-decision': d.value,
        class: d.value === 'rollback' ? 'danger' : d.forward ? 'forward' : null, text: d.label })));
    }
  }

  async function decide(ev) {
    ev.preventDefault();
    const c = snap && snap.checkpoint;
    const button = ev.submitter;
    if (!c || !button) {
      $('decide-result').textContent = 'No checkpoint is open now: nothing was sent.';
      return;
    }
    const body = {
      checkpoint: c.n,
      decision: button.value,
      evidence: c.evidence,
      note: $('decide-note').value || null,
      override_reason: $('decide-override').value || null,
      by: me && me.needs_name ? $('decide-by').value : null,
    };
    const out = $('decide-result');
    out.className = '';
    out.textContent = 'Sending ' + button.textContent + '…';
    for (const b of $('decide-buttons').querySelectorAll('button')) b.disabled = true;
    try {
      const r = await api('POST', '/api/decide', body);
      out.className = r.ok ? 'ok' : 'bad';
      // Outside the checkpoint's panel: it stays when the checkpoint closes.
      out.textContent = (r.ok ? 'Accepted: ' + r.data.message : 'Refused (' + r.status + '): ' + (r.data.error || 'no reason given')) +
        ' (checkpoint ' + c.n + ', ' + hms(new Date().toISOString()) + ' UTC)';
      if (r.ok) {
        $('decide-note').value = '';
        $('decide-override').value = '';
      }
    } catch (err) {
      out.className = 'bad';
      out.textContent = 'Not sent: ' + err;
    } finally {
      for (const b of $('decide-buttons').querySelectorAll('button')) b.disabled = false;
    }
  }

  function renderRollback(s) {
    const rb = s.rollback;
    let text = 'No rollback.';
    if (rb) {
      text = 'Rollback: ' + rb.reason + ' — triggered ' + hms(rb.triggered_at) + ' UTC; ' +
        (rb.on_blue_at ? 'all traffic on blue after ' + dur((rb.to_blue_ms || 0) / 1000) : 'NOT yet all on blue (' + rb.attempts + ' attempt(s))') +
        '; blue verified: ' + (rb.blue_verified === true ? 'yes' : rb.blue_verified === false ? 'NO' : 'pending') + '.';
    } else if (s.rollback_requested) {
      text = 'Rollback requested by ' + s.rollback_requested[0] + ': ' + s.rollback_requested[1];
    }
    $('rollback-status').textContent = text;
    const may = s.can_act && !rb && !s.rollback_requested;
    $('rollback-open').hidden = !may || !$('rollback').hidden;
    if (!may) $('rollback').hidden = true;
  }

  function openRollback() {
    $('rollback').hidden = false;
    $('rollback-open').hidden = true;
    $('rollback-reason').focus();
  }

  function cancelRollback() {
    $('rollback').hidden = true;
    $('rollback-open').hidden = !(snap && snap.can_act);
    $('rollback-open').focus();
  }

  async function rollback(ev) {
    ev.preventDefault();
    const out = $('rollback-result');
    out.className = '';
    out.textContent = 'Asking the controller to send all traffic to blue…';
    try {
      const r = await api('POST', '/api/rollback', {
        reason: $('rollback-reason').value,
        by: me && me.needs_name ? $('rollback-by').value : null,
      });
      out.className = r.ok ? 'ok' : 'bad';
      out.textContent = r.ok ? r.data.message : 'Refused (' + r.status + '): ' + (r.data.error || 'no reason given');
      if (r.ok) $('rollback').hidden = true;
    } catch (err) {
      out.className = 'bad';
      out.textContent = 'Not sent: ' + err;
    }
  }

  function chart(g) {
    const W = 300, H = 80;
    const pts = g.points;
    const tMax = Math.max(1, ...pts.map((p) => p[0]));
    const vals = pts.map((p) => p[1]).filter((v) => v !== null);
    const vMax = Math.max(g.limit_value * 1.2, ...vals, 1e-9);
    const x = (t) => (t / tMax) * W;
    const y = (v) => H - (v / vMax) * H;
    const svg = el('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img',
      'aria-label': g.label + ': ' + vals.length + ' value(s), last ' + fmt(g.last, g.unit) + ', limit ' + g.limit },
    el('rect', { x: 0, y: 0, width: W, height: H, fill: '#fafafa', stroke: '#c8ccd0' }),
    el('line', { x1: 0, x2: W, y1: y(g.limit_value).toFixed(1), y2: y(g.limit_value).toFixed(1), stroke: '#a3231b', 'stroke-dasharray': '5 4', 'stroke-width': 1.5 }));
    const line = pts.filter((p) => p[1] !== null).map((p) => x(p[0]).toFixed(1) + ',' + y(p[1]).toFixed(1)).join(' ');
    if (line) svg.append(el('polyline', { points: line, fill: 'none', stroke: '#1d4ed8', 'stroke-width': 2 }));
    return svg;
  }

  function renderGates(s) {
    const figs = s.gates.map((g) => {
      const state = g.breaches > 0 ? el('span', { class: 'bad', text: 'BREACHED ' + g.breaches + ' time(s)' })
        : g.samples > g.no_data ? el('span', { class: 'ok', text: 'within the limit' }) : el('span', { class: 'pending', text: 'no data yet' });
      return el('figure', { class: 'gate', 'data-metric': g.metric, 'data-samples': g.samples },
        el('h3', { text: g.label + ' (limit ' + g.limit + ', ' + g.action + ')' }),
        chart(g),
        el('p', {}, 'Last: ' + fmt(g.last, g.unit) + ' · ' + g.samples + ' sample(s) · ', state));
    });
    replace($('gates'), ...(figs.length ? figs : [el('p', { class: 'muted', text: 'No samples yet.' })]));
  }

  function renderTimeline(s) {
    const rows = s.steps.map((r) => {
      const tr = el('tr', { class: r.current ? 'current' : null, 'aria-current': r.current ? 'step' : null },
        el('td', { text: (r.current ? '▶ ' : '') + r.n }),
        el('td', {}, r.activity, el('br'), el('span', { class: 'muted', text: r.owner })),
        el('td', { text: r.planned_at }),
        el('td', { text: r.actual_start_at ? hms(r.actual_start_at) : '—' }),
        el('td', { text: dur(r.actual_secs) }),
        el('td', { class: r.slipped ? 'bad' : null, text: r.slippage_secs === null ? '—' : (r.slippage_secs > 0 ? '+' : '') + dur(r.slippage_secs) }),
        el('td', { class: r.status === 'failed' ? 'bad' : null, text: (r.current ? 'NOW: ' : '') + r.status + (r.detail ? ': ' + r.detail : '') }));
      return tr;
    });
    replace($('timeline').tBodies[0], ...rows);
  }

  function renderDecisions(s) {
    const rows = s.decisions.slice().reverse().map((d) => el('tr', {},
      el('td', { text: hms(d.at) }),
      el('td', { text: '#' + d.checkpoint + ' ' + d.name + ' (round ' + d.round + ')' }),
      el('td', { text: d.decision }),
      el('td', { text: d.by + (d.auto ? ' (automatic)' : '') }),
      el('td', { text: [d.note, d.override_reason ? 'override: ' + d.override_reason : null].filter(Boolean).join(' — ') || '—' })));
    replace($('decisions').tBodies[0], ...(rows.length ? rows : [el('tr', {}, el('td', { colspan: 5, text: 'No decisions yet.' }))]));
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('sign-in').addEventListener('submit', signIn);
    $('sign-out').addEventListener('click', signOut);
    $('decide').addEventListener('submit', decide);
    $('rollback-open').addEventListener('click', openRollback);
    $('rollback-cancel').addEventListener('click', cancelRollback);
    $('rollback').addEventListener('submit', rollback);
    loadMe().catch((err) => { $('connection').textContent = 'Could not reach the war room: ' + err; });
  });
})();
