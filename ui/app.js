// Parley's web UI: plain JavaScript over the public Insights v1 API
// (/v1/projects/P/locations/L/...) and Parley's documented extensions to it
// (ADR 0020: intent confidence; ADR 0030: calculateStats' sentiment and
// intents). No framework, no network beyond the server that served this
// file. Routes (location.hash):
//   #/            conversation list with filters, text search and paging
//   #/c/ID        one conversation: transcript, sentiment, analysis
//   #/dashboard   calculateStats with charts
'use strict';

const $ = (sel, root = document) => root.querySelector(sel);
const esc = (s) =>
  String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

// ---- settings: the key in session storage, the scope in local storage ----
const scope = {
  get project() { return localStorage.getItem('parley.project') || 'default'; },
  get location() { return localStorage.getItem('parley.location') || 'us'; },
  get key() { return sessionStorage.getItem('parley.key'); },
  base() { return `/v1/projects/${encodeURIComponent(this.project)}/locations/${encodeURIComponent(this.location)}`; },
};

function askKey() {
  return new Promise((resolve) => {
    const dialog = $('#key-dialog');
    $('#key-input').value = scope.key || '';
    dialog.addEventListener('close', () => {
      sessionStorage.setItem('parley.key', $('#key-input').value.trim());
      resolve();
    }, { once: true });
    dialog.showModal();
  });
}

// ---- the API: errors are shown as the API returned them ----
class ApiError extends Error {
  constructor(status, body) {
    super(`HTTP ${status}`);
    this.status = status;
    this.body = body;
  }
}

async function api(method, path, body) {
  const headers = {};
  if (scope.key) headers['x-goog-api-key'] = scope.key;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new ApiError(res.status, text);
  return text ? JSON.parse(text) : {};
}

function showError(e) {
  const box = $('#error');
  if (!e) {
    box.hidden = true;
    box.textContent = '';
    return;
  }
  let text = e instanceof ApiError ? `${e.status}\n${e.body}` : String(e.stack || e);
  if (e instanceof ApiError) {
    try { text = `${e.status} ${JSON.stringify(JSON.parse(e.body), null, 2)}`; } catch { /* not JSON: as is */ }
  }
  box.textContent = text;
  box.hidden = false;
  if (e instanceof ApiError && e.status === 401) {
    box.textContent += '\n(the API key was refused: use "API key…" above)';
  }
}

// ---- formatting ----
const seconds = (d) => (d ? parseFloat(String(d)) : 0);
function fmtDuration(d) {
  const s = Math.round(seconds(d));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}
const fmtTime = (t) => (t ? new Date(t).toISOString().replace('T', ' ').slice(0, 19) : '');
const idOf = (name) => String(name).split('/').pop();
const isAgent = (role) => role === 'HUMAN_AGENT' || role === 'AUTOMATED_AGENT' || role === 'AGENT' || role === 1 || role === 2;
const fmtConfidence = (x) => Number(x).toFixed(2);
const fmtScore = (x) => (x === undefined ? '' : (x > 0 ? '+' : '') + x.toFixed(2));
const scoreClass = (x) => (x > 0.05 ? 'pos' : x < -0.05 ? 'neg' : '');

// Each page load takes a ticket; a response that arrives after a newer load
// started (a slow answer for the previous project) is dropped.
let latestTicket = 0;
const takeTicket = () => ++latestTicket;
const stale = (ticket) => ticket !== latestTicket;

// ---- conversation list ----
const listState = { tokens: [''], page: 0 };
const PAGE = 25;

// Text search (ADR 0030): the Insights filter has no transcript field and
// the store no text index, so the page searches itself: it reads the
// filtered list with view=FULL, SEARCH_BATCH conversations a request, keeps
// those whose transcript holds every word of the query (case-insensitive),
// and stops at a page of matches or after SEARCH_SCAN conversations a click
// ("Next" scans on).
const SEARCH_BATCH = 100, SEARCH_SCAN = 1000;
let search = null; // {key, words, hits: [{conv, snippet}], token, scanned, done}

function searchWords(text) {
  return String(text || '').toLowerCase().split(/\s+/).filter(Boolean);
}

// The first segment holding a query word, shortened around it and marked.
function snippetOf(conv, words) {
  for (const seg of conv.transcript?.transcriptSegments || []) {
    const lower = String(seg.text || '').toLowerCase();
    const at = Math.min(...words.map((w) => lower.indexOf(w)).filter((i) => i >= 0));
    if (!Number.isFinite(at)) continue;
    const from = Math.max(0, at - 40);
    let html = esc((from > 0 ? '…' : '') + seg.text.slice(from, at + 80) + (at + 80 < seg.text.length ? '…' : ''));
    for (const w of words) {
      html = html.replace(new RegExp(esc(w).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'), 'gi'), (m) => `<mark class="found">${m}</mark>`);
    }
    return html;
  }
  return '';
}

function matchesAll(conv, words) {
  const text = (conv.transcript?.transcriptSegments || []).map((seg) => String(seg.text || '')).join('\n').toLowerCase();
  return words.every((w) => text.includes(w));
}

// Scans on until `want` matches are held, the list ends or SEARCH_SCAN
// more conversations were read.
async function scanFor(want, params, ticket) {
  let read = 0;
  while (!search.done && search.hits.length < want && read < SEARCH_SCAN) {
    const p = new URLSearchParams(params);
    p.set('view', 'FULL');
    p.set('pageSize', String(SEARCH_BATCH));
    if (search.token) p.set('pageToken', search.token);
    const res = await api('GET', `${scope.base()}/conversations?${p}`);
    if (stale(ticket)) return;
    const convs = res.conversations || [];
    read += convs.length;
    search.scanned += convs.length;
    for (const c of convs) {
      if (matchesAll(c, search.words)) search.hits.push({ conv: c, snippet: snippetOf(c, search.words) });
    }
    search.token = res.nextPageToken || '';
    search.done = !search.token;
  }
}

function buildFilter(f) {
  const parts = [];
  const q = (v) => JSON.stringify(v);
  if (f.medium) parts.push(`medium=${f.medium}`);
  if (f.agent) parts.push(`agent_id=${q(f.agent)}`);
  for (const pair of (f.labels || '').split(',')) {
    const [k, v] = pair.split('=').map((x) => x && x.trim());
    if (!k) continue;
    parts.push(v === undefined ? `labels:${q(k)}` : `labels.${k}=${q(v)}`);
  }
  if (f.from) parts.push(`start_time>=${q(`${f.from}T00:00:00Z`)}`);
  if (f.to) parts.push(`start_time<${q(new Date(Date.parse(`${f.to}T00:00:00Z`) + 86400000).toISOString())}`);
  if (f.minTurns) parts.push(`turn_count>=${Number(f.minTurns)}`);
  if (f.maxTurns) parts.push(`turn_count<=${Number(f.maxTurns)}`);
  if (f.analyzed) parts.push('latest_analysis:"*"');
  return parts.join(' AND ');
}

function readFilters() {
  const form = $('#filters');
  const f = Object.fromEntries(new FormData(form).entries());
  f.analyzed = form.elements.analyzed.checked;
  return f;
}

function renderListShell() {
  const saved = JSON.parse(sessionStorage.getItem('parley.filters') || '{}');
  $('#main').innerHTML = `
  <div class="card"><form id="filters" class="filters">
    <label>Medium <select name="medium"><option value="">any</option>
      <option>PHONE_CALL</option><option>CHAT</option></select></label>
    <label>Agent id <input name="agent"></label>
    <label>Labels (k=v, k2=v2, k3) <input name="labels"></label>
    <label>Started from <input name="from" type="date"></label>
    <label>Started to <input name="to" type="date"></label>
    <label>Turns ≥ <input name="minTurns" type="number" min="0"></label>
    <label>Turns ≤ <input name="maxTurns" type="number" min="0"></label>
    <label>Order <select name="order"><option value="">newest created</option>
      <option>start_time desc</option><option>start_time asc</option>
      <option>turn_count desc</option><option>duration desc</option></select></label>
    <label><span><input name="analyzed" type="checkbox"> analysed only</span></label>
    <label>Text in transcript <input name="text" type="search" placeholder="words, all required"></label>
    <button class="primary" id="apply">Apply</button>
    <code id="filter-text"></code>
  </form></div>
  <table><thead><tr><th>Conversation</th><th>Medium</th><th>Agent</th><th>Started</th>
    <th>Duration</th><th>Turns</th><th>Labels</th><th>Analysed</th></tr></thead>
    <tbody id="rows"></tbody></table>
  <div class="pager"><button id="prev">‹ Previous</button><span id="page-no" class="muted"></span>
    <button id="next">Next ›</button><span id="search-status" class="muted"></span></div>`;
  const form = $('#filters');
  for (const [k, v] of Object.entries(saved)) {
    if (!form.elements[k]) continue;
    if (form.elements[k].type === 'checkbox') form.elements[k].checked = v;
    else form.elements[k].value = v;
  }
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    sessionStorage.setItem('parley.filters', JSON.stringify(readFilters()));
    listState.tokens = [''];
    listState.page = 0;
    search = null;
    loadPage();
  });
  $('#prev').addEventListener('click', () => { listState.page--; loadPage(); });
  $('#next').addEventListener('click', () => { listState.page++; loadPage(); });
  loadPage();
}

const rowHtml = (c, snippet) => `<tr data-id="${esc(idOf(c.name))}">
  <td><a href="#/c/${encodeURIComponent(idOf(c.name))}">${esc(idOf(c.name))}</a>${snippet ? `<div class="snippet">${snippet}</div>` : ''}</td>
  <td>${esc(c.medium)}</td><td>${esc(c.agentId)}</td><td>${esc(fmtTime(c.startTime))}</td>
  <td>${esc(fmtDuration(c.duration))}</td><td>${esc(c.turnCount ?? '')}</td>
  <td>${Object.entries(c.labels || {}).map(([k, v]) => `<span class="chip">${esc(k)}=${esc(v)}</span>`).join('')}</td>
  <td>${c.latestAnalysis ? '✓' : ''}</td></tr>`;

async function loadPage() {
  const f = readFilters();
  const filter = buildFilter(f);
  const words = searchWords(f.text);
  $('#filter-text').textContent = [filter ? `filter: ${filter}` : '', words.length ? `text: ${words.join(' ')}` : ''].filter(Boolean).join(' · ');
  const params = new URLSearchParams({ pageSize: String(PAGE), view: 'BASIC' });
  if (filter) params.set('filter', filter);
  if (f.order) params.set('orderBy', f.order);
  const token = listState.tokens[listState.page];
  if (token) params.set('pageToken', token);
  $('#rows').innerHTML = '<tr><td colspan="8" class="muted">Loading…</td></tr>';
  $('#search-status').textContent = words.length ? 'searching…' : '';
  const ticket = takeTicket();
  try {
    let rows, more;
    if (words.length) {
      const key = `${scope.base()}?${filter}&${f.order}&${words.join(' ')}`;
      if (!search || search.key !== key) search = { key, words, hits: [], token: '', scanned: 0, done: false };
      params.delete('pageToken');
      await scanFor((listState.page + 1) * PAGE, params, ticket);
      if (stale(ticket)) return;
      const shown = search.hits.slice(listState.page * PAGE, (listState.page + 1) * PAGE);
      rows = shown.map((h) => rowHtml(h.conv, h.snippet));
      more = !search.done || search.hits.length > (listState.page + 1) * PAGE;
      $('#search-status').textContent = `${search.hits.length} match${search.hits.length === 1 ? '' : 'es'} in ${search.scanned} conversations searched${search.done ? ' (all that the filter matches)' : ' so far: Next searches on'}`;
    } else {
      const res = await api('GET', `${scope.base()}/conversations?${params}`);
      if (stale(ticket)) return;
      listState.tokens[listState.page + 1] = res.nextPageToken || '';
      rows = (res.conversations || []).map((c) => rowHtml(c));
      more = Boolean(res.nextPageToken);
      $('#search-status').textContent = '';
    }
    showError(null);
    $('#rows').innerHTML = rows.length ? rows.join('') : '<tr><td colspan="8" class="muted">No conversations match.</td></tr>';
    $('#prev').disabled = listState.page === 0;
    $('#next').disabled = !more;
    $('#page-no').textContent = `page ${listState.page + 1}`;
  } catch (e) {
    if (stale(ticket)) return;
    $('#rows').innerHTML = '';
    showError(e);
  }
}

// ---- one conversation ----
function segmentOffsets(conv) {
  // Seconds from the conversation's start for each segment (messageTime,
  // else the first word's offset), or null when unknown.
  const start = conv.startTime ? Date.parse(conv.startTime) : null;
  return (conv.transcript?.transcriptSegments || []).map((s) => {
    if (s.messageTime && start !== null) return (Date.parse(s.messageTime) - start) / 1000;
    if (s.words && s.words.length && s.words[0].startOffset) return seconds(s.words[0].startOffset);
    return null;
  });
}

function sentimentChart(points, n) {
  // points: [{i, score, agent}], drawn as a line over the turn index.
  const W = 760, H = 170, L = 34, R = 10, T = 10, B = 22;
  const x = (i) => L + (n <= 1 ? 0 : (i / (n - 1)) * (W - L - R));
  const y = (s) => T + ((1 - s) / 2) * (H - T - B);
  let svg = `<svg id="sentiment-chart" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="Sentiment per turn">`;
  for (const v of [1, 0.5, 0, -0.5, -1]) {
    svg += `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="${v === 0 ? '#98a2b3' : '#eaecf0'}"/>`;
    svg += `<text x="${L - 4}" y="${y(v) + 3}" text-anchor="end">${v}</text>`;
  }
  const line = (pts, color) => (pts.length
    ? `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${pts.map((p) => `${x(p.i).toFixed(1)},${y(p.score).toFixed(1)}`).join(' ')}"/>`
    : '');
  const user = points.filter((p) => !p.agent), agent = points.filter((p) => p.agent);
  svg += line(user, '#d97706') + line(agent, '#2f5bea');
  if (points.length <= 200) {
    for (const p of points) {
      svg += `<circle class="pt" cx="${x(p.i).toFixed(1)}" cy="${y(p.score).toFixed(1)}" r="3" fill="${p.agent ? '#2f5bea' : '#d97706'}"><title>turn ${p.i + 1}: ${fmtScore(p.score)}</title></circle>`;
    }
  }
  svg += `<text x="${L}" y="${H - 6}">turn 1</text><text x="${W - R}" y="${H - 6}" text-anchor="end">turn ${n}</text></svg>`;
  return `${svg}<div class="legend"><span><i class="lg-user"></i>customer</span><span><i class="lg-agent"></i>agent</span>
    <span class="muted">${points.length} scored turns</span></div>`;
}

function timeBar(conv, offsets, spans) {
  // Turns by speaker across the call, silences and overtalk above them.
  const segs = conv.transcript?.transcriptSegments || [];
  const total = seconds(conv.duration) || Math.max(0, ...offsets.filter((o) => o !== null)) || 1;
  const W = 760, H = 64, L = 10, R = 10;
  const x = (t) => L + Math.min(1, Math.max(0, t / total)) * (W - L - R);
  let svg = `<svg id="time-bar" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="Silence and overtalk">`;
  svg += `<rect x="${L}" y="24" width="${W - L - R}" height="16" fill="#f2f4f7"/>`;
  segs.forEach((s, i) => {
    const a = offsets[i];
    if (a === null) return;
    const b = offsets.slice(i + 1).find((o) => o !== null) ?? total;
    svg += `<rect x="${x(a).toFixed(1)}" y="24" width="${Math.max(0.5, x(b) - x(a)).toFixed(1)}" height="16" fill="${isAgent(s.segmentParticipant?.role) ? '#9db4ff' : '#fcd29f'}"/>`;
  });
  const at = (idx) => offsets[idx] ?? null;
  for (const sp of spans) {
    const a = at(sp.start), b = at(sp.end);
    if (a === null) continue;
    const x0 = x(a), x1 = Math.max(x0 + 2, x(b ?? a));
    svg += `<rect class="${sp.kind}" x="${x0.toFixed(1)}" y="${sp.kind === 'silence' ? 8 : 44}" width="${(x1 - x0).toFixed(1)}" height="12" fill="${sp.kind === 'silence' ? '#667085' : '#d0393e'}"><title>${sp.kind}</title></rect>`;
  }
  svg += `<text x="${L}" y="62">0:00</text><text x="${W - R}" y="62" text-anchor="end">${fmtDuration(total)}</text></svg>`;
  return `${svg}<div class="legend"><span><i class="lg-user"></i>customer</span><span><i class="lg-agent"></i>agent</span>
    <span><i class="lg-silence"></i>silence (above)</span><span><i class="lg-overtalk"></i>overtalk (below)</span></div>`;
}

function highlight(text, entityNames) {
  // Entities marked, redacted values ([EMAIL_ADDRESS]) shown as their info type.
  let html = esc(text).replace(/\[([A-Z][A-Z0-9_]{2,})\]/g, (m, type) => `<mark class="pii" title="redacted">${type}</mark>`);
  for (const name of entityNames) {
    if (!name || name.length < 2) continue;
    const re = new RegExp(`(^|[^\\w>])(${esc(name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&')})(?![\\w<])`, 'gi');
    html = html.replace(re, '$1<mark class="entity">$2</mark>');
  }
  return html;
}

async function renderConversation(id) {
  $('#main').innerHTML = '<p class="muted">Loading…</p>';
  let conv;
  const ticket = takeTicket();
  try {
    conv = await api('GET', `${scope.base()}/conversations/${encodeURIComponent(id)}`);
    if (stale(ticket)) return;
    showError(null);
  } catch (e) {
    if (stale(ticket)) return;
    $('#main').innerHTML = `<p><a href="#/">‹ Conversations</a></p>`;
    showError(e);
    return;
  }
  drawConversation(conv);
  window.parleyRendered = performance.now();
  document.body.dataset.rendered = id;
}

function drawConversation(conv) {
  const segs = conv.transcript?.transcriptSegments || [];
  const analysis = conv.latestAnalysis;
  const meta = analysis?.analysisResult?.callAnalysisMetadata || {};
  const annotations = meta.annotations || [];
  const perTurn = new Map(); // index -> {score, entities:Set, hits:[], intents:[{name, confidence}]}
  const turn = (i) => perTurn.get(i) || (perTurn.set(i, { entities: new Set(), hits: [], intents: [] }), perTurn.get(i));
  const spans = [];
  for (const a of annotations) {
    const i = a.annotationStartBoundary?.transcriptIndex ?? 0;
    const end = a.annotationEndBoundary?.transcriptIndex ?? i;
    if (a.sentimentData) turn(i).score = a.sentimentData.score ?? 0;
    if (a.entityMentionData) {
      const e = meta.entities?.[a.entityMentionData.entityUniqueId];
      if (e) turn(i).entities.add(e.displayName);
    }
    if (a.phraseMatchData) turn(i).hits.push(a.phraseMatchData.displayName || idOf(a.phraseMatchData.phraseMatcher));
    if (a.intentMatchData) {
      turn(i).intents.push({ name: meta.intents?.[a.intentMatchData.intentUniqueId]?.displayName || a.intentMatchData.intentUniqueId,
        confidence: a.intentMatchData.confidence });
    }
    if (a.silenceData) spans.push({ kind: 'silence', start: i, end });
    if (a.interruptionData) spans.push({ kind: 'overtalk', start: i, end });
  }
  const offsets = segmentOffsets(conv);
  const points = [];
  const chat = segs.map((s, i) => {
    const t = perTurn.get(i);
    const agent = isAgent(s.segmentParticipant?.role);
    if (t?.score !== undefined) points.push({ i, score: t.score, agent });
    const who = s.segmentParticipant?.role ? String(s.segmentParticipant.role).replace('_', ' ').toLowerCase() : `channel ${s.channelTag ?? '?'}`;
    const when = offsets[i] !== null ? fmtDuration(`${offsets[i]}s`) : '';
    return `<div class="turn${agent ? ' agent' : ''}" id="t${i}"><div class="who"><span>${esc(who)}${s.segmentParticipant?.userId ? ` · ${esc(s.segmentParticipant.userId)}` : ''}</span><span>${esc(when)}</span>${t?.score !== undefined ? `<span class="s ${scoreClass(t.score)}">${fmtScore(t.score)}</span>` : ''}</div>
      <div>${highlight(s.text, t ? t.entities : [])}</div>${t ? t.hits.map((h) => `<span class="hit">≈ ${esc(h)}</span>`).join('') + t.intents.map((h) => `<span class="hit intent">intent: ${esc(h.name)}${h.confidence !== undefined ? ` <b class="conf">${fmtConfidence(h.confidence)}</b>` : ''}</span>`).join('') : ''}</div>`;
  }).join('');
  const channels = (meta.sentiments || []).map((s) => `<span class="chip">channel ${esc(s.channelTag ?? 0)}: <b class="s ${scoreClass(s.sentimentData?.score ?? 0)}">${fmtScore(s.sentimentData?.score ?? 0)}</b></span>`).join('');
  // Confidence: the highest of the intent's annotations (ADR 0020 puts it on
  // intentMatchData; Insights' intents map has none).
  const intents = Object.entries(meta.intents || {}).map(([k, v]) => {
    const own = annotations.filter((a) => a.intentMatchData?.intentUniqueId === k);
    const confs = own.map((a) => a.intentMatchData.confidence).filter((c) => c !== undefined);
    return `<tr><td>${esc(v.displayName || k)}</td><td class="conf">${confs.length ? fmtConfidence(Math.max(...confs)) : '—'}</td><td>${own.length}</td></tr>`;
  }).join('');
  const entities = Object.values(meta.entities || {}).sort((a, b) => (b.salience || 0) - (a.salience || 0))
    .map((e) => `<span class="chip" title="${esc(e.type)}">${esc(e.displayName)} <span class="muted">${esc(e.type)}</span></span>`).join('');
  const matchers = Object.values(meta.phraseMatchers || {}).map((p) => {
    const n = annotations.filter((a) => a.phraseMatchData?.phraseMatcher === p.phraseMatcher).length;
    return `<span class="chip">${esc(p.displayName || idOf(p.phraseMatcher))} × ${n}</span>`;
  }).join('');
  const summary = conv.latestSummary;
  const sections = Object.entries(summary?.textSections || {}).map(([k, v]) => `<p><b>${esc(k)}:</b> ${esc(v)}</p>`).join('');
  const isCall = conv.medium === 'PHONE_CALL' || conv.medium === 1;
  $('#main').innerHTML = `
  <p><a href="#/">‹ Conversations</a></p>
  <div class="card"><div class="meta">
    <div><b>Conversation</b>${esc(idOf(conv.name))}</div><div><b>Medium</b>${esc(conv.medium)}</div>
    <div><b>Agent</b>${esc(conv.agentId || '—')}</div><div><b>Started</b>${esc(fmtTime(conv.startTime))}</div>
    <div><b>Duration</b>${esc(fmtDuration(conv.duration))}</div><div><b>Turns</b>${esc(conv.turnCount ?? '')}</div>
    <div><b>Labels</b>${Object.entries(conv.labels || {}).map(([k, v]) => `<span class="chip">${esc(k)}=${esc(v)}</span>`).join('') || '—'}</div>
  </div>
  <p><button class="primary" id="analyze">${analysis ? 'Re-analyse' : 'Analyse'}</button><span id="op-status" class="muted">${analysis ? `latest analysis ${esc(idOf(analysis.name))} at ${esc(fmtTime(analysis.createTime))}` : 'not analysed yet'}</span></p></div>
  <div class="grid2"><div>
    <div class="card"><h2>Sentiment per turn</h2>${points.length ? sentimentChart(points, segs.length) : '<p class="muted" id="no-sentiment">No sentiment yet: analyse the conversation.</p>'}
      <div>${channels}</div></div>
    ${isCall ? `<div class="card"><h2>Silence and overtalk</h2>${timeBar(conv, offsets, spans)}
      ${meta.silence ? `<p class="muted">silence ${esc(fmtDuration(meta.silence.silenceDuration))} (${Number(meta.silence.silencePercentage || 0).toFixed(1)}%)</p>` : ''}</div>` : ''}
    <div class="card"><h2>Transcript</h2><div class="chat" id="transcript">${chat || '<p class="muted">No transcript.</p>'}</div></div>
  </div><div>
    <div class="card" id="summary"><h2>Summary</h2>${summary ? `<p>${esc(summary.text)}</p>${sections}` : '<p class="muted">—</p>'}</div>
    <div class="card" id="intents"><h2>Intents</h2>${intents ? `<table><thead><tr><th>Intent</th><th>Confidence (highest)</th><th>Turns</th></tr></thead><tbody>${intents}</tbody></table>` : '<p class="muted">—</p>'}</div>
    <div class="card" id="entities"><h2>Entities</h2>${entities || '<p class="muted">—</p>'}</div>
    <div class="card" id="matchers"><h2>Phrase matcher hits</h2>${matchers || '<p class="muted">—</p>'}</div>
  </div></div>`;
  $('#analyze').addEventListener('click', () => analyze(conv));
}

async function analyze(conv) {
  const button = $('#analyze'), status = $('#op-status');
  button.disabled = true;
  const t0 = performance.now();
  try {
    let op = await api('POST', `/v1/${conv.name}/analyses`, {});
    status.textContent = `operation ${idOf(op.name)}: queued`;
    while (!op.done) {
      await new Promise((r) => setTimeout(r, 250));
      op = await api('GET', `/v1/${op.name}`);
      const state = op.metadata?.state || (op.done ? 'done' : 'running');
      status.textContent = `operation ${idOf(op.name)}: ${state} (${((performance.now() - t0) / 1000).toFixed(1)} s)`;
    }
    if (op.error) {
      showError(new ApiError(op.error.code || 500, JSON.stringify({ error: op.error })));
      status.textContent = `operation ${idOf(op.name)} failed`;
      button.disabled = false;
      return;
    }
    const fresh = await api('GET', `/v1/${conv.name}`);
    showError(null);
    drawConversation(fresh);
    $('#op-status').textContent = `analysis finished: operation ${idOf(op.name)} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`;
    document.body.dataset.analyzed = idOf(op.name);
  } catch (e) {
    showError(e);
    button.disabled = false;
  }
}

// ---- dashboard ----
function barsSvg(rows, id) {
  const max = Math.max(1, ...rows.map((r) => r[1]));
  const W = 420, rowH = 18;
  return `<svg id="${id}" viewBox="0 0 ${W + 230} ${rows.length * rowH + 4}" width="100%">${rows.map(([label, n], i) =>
    `<text x="0" y="${i * rowH + 13}">${esc(label)}</text><rect x="180" y="${i * rowH + 3}" width="${((n / max) * W).toFixed(1)}" height="12" fill="#2f5bea"/><text x="${185 + (n / max) * W}" y="${i * rowH + 13}">${n}</text>`).join('')}</svg>`;
}

function seriesSvg(points) {
  const W = 760, H = 160, L = 34, B = 24, T = 10;
  const max = Math.max(1, ...points.map((p) => p.conversationCount || 0));
  const bw = (W - L) / Math.max(1, points.length);
  let svg = `<svg id="series-chart" viewBox="0 0 ${W} ${H}" width="100%"><text x="${L - 4}" y="${T + 4}" text-anchor="end">${max}</text><text x="${L - 4}" y="${H - B}" text-anchor="end">0</text>`;
  points.forEach((p, i) => {
    const h = ((p.conversationCount || 0) / max) * (H - T - B);
    svg += `<rect x="${(L + i * bw + 1).toFixed(1)}" y="${(H - B - h).toFixed(1)}" width="${Math.max(1, bw - 2).toFixed(1)}" height="${h.toFixed(1)}" fill="#2f5bea"><title>${esc(fmtTime(p.startTime))}: ${p.conversationCount || 0}</title></rect>`;
  });
  if (points.length) {
    svg += `<text x="${L}" y="${H - 6}">${esc(fmtTime(points[0].startTime).slice(0, 10))}</text><text x="${W}" y="${H - 6}" text-anchor="end">${esc(fmtTime(points[points.length - 1].startTime).slice(0, 10))}</text>`;
  }
  return `${svg}</svg>`;
}

function sentimentSeriesSvg(points) {
  // The intervals' average sentiment in [-1, 1]; intervals without an
  // analysed conversation are gaps.
  const W = 760, H = 160, L = 34, R = 10, T = 10, B = 24;
  const x = (i) => L + (points.length <= 1 ? (W - L - R) / 2 : (i / (points.length - 1)) * (W - L - R));
  const y = (v) => T + ((1 - v) / 2) * (H - T - B);
  let svg = `<svg id="sentiment-series" viewBox="0 0 ${W} ${H}" width="100%" role="img" aria-label="Average sentiment by interval">`;
  for (const v of [1, 0, -1]) {
    svg += `<line x1="${L}" x2="${W - R}" y1="${y(v)}" y2="${y(v)}" stroke="${v === 0 ? '#98a2b3' : '#eaecf0'}"/><text x="${L - 4}" y="${y(v) + 3}" text-anchor="end">${v}</text>`;
  }
  points.forEach((p, i) => {
    if (p.averageSentiment === undefined) return;
    const v = Number(p.averageSentiment);
    svg += `<circle class="pt" cx="${x(i).toFixed(1)}" cy="${y(v).toFixed(1)}" r="4" fill="${v > 0.05 ? '#1a9d5b' : v < -0.05 ? '#d0393e' : '#667085'}"><title>${esc(fmtTime(p.startTime))}: ${fmtScore(v)}</title></circle>`;
  });
  return `${svg}</svg>`;
}

async function renderDashboard() {
  const saved = JSON.parse(sessionStorage.getItem('parley.filters') || '{}');
  const filter = buildFilter(saved);
  $('#main').innerHTML = '<p class="muted">Loading…</p>';
  const ticket = takeTicket();
  try {
    const params = new URLSearchParams();
    if (filter) params.set('filter', filter);
    const [s, pm] = await Promise.all([
      api('GET', `${scope.base()}/conversations:calculateStats?${params}`),
      api('GET', `${scope.base()}/phraseMatchers?pageSize=1000`),
    ]);
    if (stale(ticket)) return;
    showError(null);
    const names = new Map((pm.phraseMatchers || []).map((m) => [m.name, m.displayName || idOf(m.name)]));
    const matches = { ...(s.customHighlighterMatches || {}), ...(s.phraseMatcherMatches || {}) };
    const matchRows = Object.entries(matches).map(([k, n]) => [names.get(k) || idOf(k), Number(n)]).sort((a, b) => b[1] - a[1]).slice(0, 10);
    // Parley's extensions to calculateStats (ADR 0030): intents by display
    // name, the average sentiment overall and per interval.
    const intentRows = Object.entries(s.intentMatches || {}).map(([k, n]) => [k, Number(n)]).sort((a, b) => b[1] - a[1]).slice(0, 10);
    const points = s.conversationCountTimeSeries?.points || [];
    $('#main').innerHTML = `
    ${filter ? `<p class="muted">filter (from the list page): <code>${esc(filter)}</code></p>` : ''}
    <div class="kpis" id="kpis">
      <div class="kpi">Conversations<b id="kpi-count">${esc(s.conversationCount ?? 0)}</b></div>
      <div class="kpi">Average duration<b>${esc(fmtDuration(s.averageDuration))}</b></div>
      <div class="kpi">Average turns<b>${esc((s.averageTurnCount ?? 0).toFixed ? s.averageTurnCount.toFixed(1) : s.averageTurnCount ?? 0)}</b></div>
      <div class="kpi">Analysed<b id="kpi-analyzed">${esc(s.analyzedConversationCount ?? 0)}</b></div>
      <div class="kpi">Average sentiment<b id="kpi-sentiment" class="s ${scoreClass(Number(s.averageSentiment ?? 0))}">${s.averageSentiment !== undefined ? esc(fmtScore(Number(s.averageSentiment))) : '—'}</b></div>
    </div>
    <div class="card"><h2>Conversations by ${esc(s.conversationCountTimeSeries?.intervalDuration === '3600s' ? 'hour' : 'interval')}</h2>${points.length ? seriesSvg(points) : '<p class="muted">—</p>'}</div>
    <div class="card"><h2>Top phrase matches</h2>${matchRows.length ? barsSvg(matchRows, 'matches-chart') : '<p class="muted">—</p>'}</div>
    <div class="card"><h2>Average sentiment by ${esc(s.conversationCountTimeSeries?.intervalDuration === '3600s' ? 'hour' : 'interval')}</h2>${points.some((p) => p.averageSentiment !== undefined) ? sentimentSeriesSvg(points) : '<p class="muted" id="no-sentiment-series">No analysed conversations.</p>'}</div>
    <div class="card"><h2>Top intents</h2>${intentRows.length ? barsSvg(intentRows, 'intents-chart') : '<p class="muted">— (intents need an intent model: <code>--intent-model</code>)</p>'}</div>`;
    document.body.dataset.dashboard = 'ready';
  } catch (e) {
    if (stale(ticket)) return;
    $('#main').innerHTML = '';
    showError(e);
  }
}

// ---- start-up and routing ----
function route() {
  const hash = location.hash || '#/';
  for (const a of document.querySelectorAll('header nav a')) a.classList.toggle('active', a.getAttribute('href') === (hash.startsWith('#/c/') ? '#/' : hash));
  showError(null);
  const m = /^#\/c\/(.+)$/.exec(hash);
  if (m) return renderConversation(decodeURIComponent(m[1]));
  if (hash === '#/dashboard') return renderDashboard();
  return renderListShell();
}

async function start() {
  $('#project').value = scope.project;
  $('#location').value = scope.location;
  $('#scope').addEventListener('change', () => {
    localStorage.setItem('parley.project', $('#project').value.trim());
    localStorage.setItem('parley.location', $('#location').value.trim());
    route();
  });
  $('#scope').addEventListener('submit', (ev) => ev.preventDefault());
  $('#change-key').addEventListener('click', async () => { await askKey(); route(); });
  window.addEventListener('hashchange', route);
  if (scope.key === null) await askKey();
  route();
}

start();
