/**
 * The sandbox page (HTML, CSS and a small script). The script polls /sandbox/api/state and PATCHES the page:
 * a message's element is replaced only when that message changed, so a selection or a half-typed reply
 * survives every poll. Server-side code renders message HTML (safe, escaped): the script only places it.
 */
export const SANDBOX_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Lark agent sandbox</title>
<style>
*{box-sizing:border-box}body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2329;background:#f5f6f7}
header{display:flex;gap:1rem;align-items:center;padding:.6rem 1rem;background:#3370ff;color:#fff;flex-wrap:wrap}
header h1{font-size:1.05rem;margin:0 1rem 0 0}header select,header label{font-size:.9rem}
header a{color:#fff;margin-left:auto}#signed{font-size:.85rem;background:rgba(255,255,255,.18);border-radius:10px;padding:.1rem .6rem}
main{display:grid;grid-template-columns:minmax(0,2fr) minmax(16rem,1fr);gap:1rem;padding:1rem;height:calc(100vh - 3.2rem)}
#chat{display:flex;flex-direction:column;background:#fff;border-radius:8px;overflow:hidden;min-height:0}
#chat-title{padding:.55rem 1rem;border-bottom:1px solid #eee;font-weight:600;font-size:.95rem}
#chat-title .muted{font-weight:400}
#log{flex:1;overflow:auto;padding:1rem;display:flex;flex-direction:column;gap:.55rem}
.row{display:flex;flex-direction:column;align-items:flex-start}.row.mine{align-items:flex-end}
.row.in-thread{margin-left:2.2rem;padding-left:.7rem;border-left:3px solid #c9d6ff}
.thread-label{font-size:.72rem;color:#3370ff;margin-bottom:.15rem}
.msg{max-width:75%;padding:.45rem .75rem;border-radius:10px;background:#f0f1f5;overflow-wrap:anywhere}
.row.mine .msg{background:#d6e4ff}.who{font-size:.75rem;color:#646a73;margin-bottom:.2rem}
.quote{margin:.1rem 0 .35rem;padding:.2rem .5rem;border-left:3px solid #bbbfc4;color:#646a73;font-size:.85rem;background:rgba(0,0,0,.03)}
.buzz{background:#fde2e2;color:#c02f2f;font-size:.75rem;font-weight:600;padding:.15rem .5rem;border-radius:4px;margin:.1rem 0 .3rem}
.mention{color:#3370ff;font-weight:500}.msg a{color:#245bdb}
.acts{margin-top:.2rem;display:flex;gap:.6rem}.act{border:0;background:none;color:#8f959e;font-size:.75rem;padding:0;cursor:pointer}.act:hover{color:#3370ff;text-decoration:underline}
.card{border:1px solid #dee0e3;border-radius:8px;background:#fff;max-width:75%;overflow:hidden}
.card h3{margin:0;font-size:.95rem;padding:.5rem .8rem;background:#e1eaff;color:#1f2329}
.card.t-orange h3{background:#fff0e3}.card.t-green h3{background:#d9f5d6}.card.t-grey h3{background:#eff0f1;color:#646a73}.card.t-red h3{background:#fde2e2}
.card .cb{padding:.5rem .8rem}.card p{margin:.3rem 0}.card .note{color:#8f959e;font-size:.8rem}
.card .btn{margin:.3rem .4rem 0 0;padding:.35rem .8rem;border-radius:6px;border:1px solid #3370ff;background:#fff;color:#3370ff;cursor:pointer;text-decoration:none;display:inline-block;font-size:.9rem}
.card .btn.primary{background:#3370ff;color:#fff}.card .btn[disabled]{opacity:.55;cursor:default;border-color:#bbbfc4;background:#f2f3f5;color:#646a73}
#status{min-height:1.6rem;padding:.25rem 1rem;font-size:.85rem;color:#646a73;border-top:1px solid #eee}
#status[data-state="ignored"],#status[data-state="no-answer"]{color:#b26a00}
#replying{display:flex;gap:.5rem;align-items:center;padding:.35rem 1rem;background:#f5f8ff;font-size:.85rem;color:#646a73}
#replying[hidden]{display:none}#replying span{flex:1;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
#notice{padding:.35rem 1rem;font-size:.85rem;color:#d83931;background:#fff4f4}#notice[hidden]{display:none}
form{display:flex;gap:.5rem;padding:.6rem;border-top:1px solid #eee;align-items:flex-end}
form textarea{flex:1;padding:.5rem;border:1px solid #ccc;border-radius:6px;font:inherit;resize:vertical;min-height:2.4rem;max-height:12rem}
form button{padding:.55rem 1rem;border:0;border-radius:6px;background:#3370ff;color:#fff}form button[disabled]{background:#a8bff8}
#mention-wrap{font-size:.85rem;color:#646a73;white-space:nowrap;align-self:center}#mention-wrap[hidden]{display:none}
aside{display:flex;flex-direction:column;gap:1rem;overflow:auto}section{background:#fff;border-radius:8px;padding:.8rem}
section h2{font-size:.95rem;margin:0 0 .5rem}section li{margin:.3rem 0}.muted{color:#8f959e;font-size:.85rem}
#toasts{position:fixed;top:4rem;left:50%;transform:translateX(-50%);display:flex;flex-direction:column;gap:.4rem;z-index:10}
.toast{background:#1f2329;color:#fff;padding:.55rem 1rem;border-radius:8px;box-shadow:0 4px 14px rgba(0,0,0,.2);font-size:.9rem}
.toast.error{background:#d83931}.toast.success{background:#2ea121}
</style></head><body>
<header><h1>Lark agent sandbox</h1>
<label>You are <select id="user"></select></label>
<label>Chat <select id="chat"><option value="p2p">Direct message with the bot</option><option value="group">Team group</option></select></label>
<span id="signed"></span>
<a id="runs" target="_blank" rel="noopener">Your runs in the Temporal UI</a></header>
<div id="toasts" aria-live="assertive"></div>
<main><div id="chat"><div id="chat-title"></div><div id="log" aria-live="polite"></div>
<div id="status" role="status"></div>
<div id="replying" hidden><span id="replying-text"></span><button type="button" class="act" id="cancel-reply" aria-label="Cancel reply">✕ cancel</button></div>
<div id="notice" role="alert" hidden></div>
<form id="send"><textarea id="text" rows="1" autocomplete="off" placeholder="Try: tạo cuộc họp 3h chiều mai với Lan  ·  add a task to send the report by Monday  ·  book a room for 6 on floor 3 for the design review"></textarea>
<label id="mention-wrap" hidden><input type="checkbox" id="mention" checked> @mention the bot</label><button id="send-button">Send</button></form></div>
<aside><section><h2>Calendar <span id="zone" class="muted"></span></h2><ul id="events"></ul></section><section><h2>Tasks</h2><ul id="tasks"></ul></section><section><h2>Reminders</h2><ul id="reminders"></ul></section>
<section class="muted">Messages go to the app as signed Lark events; cards call the app's card callback. In the team group the bot answers only messages that @mention it. "Reply" quotes a message; "Reply in thread" starts or continues its thread. The bot answers with the offline model unless ANTHROPIC_API_KEY is set.</section></aside></main>
<script>
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s == null ? '' : s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
let user = new URLSearchParams(location.search).get('user') || '';
let state = null;
let replyTo = null;
let limitBytes = 150 * 1024;
const clicked = new Set();
const rows = new Map();
const panels = {};
const STATUS = {
  working: 'The bot is working on it…',
  confirm: 'Waiting for you to press Confirm or Cancel on the card',
  'sign-in': 'Waiting for you to sign in (the Sign-in card in the direct message)',
  'no-answer': 'No answer after 3 minutes. The run is in the Temporal UI (link above).',
  ignored: 'The bot did not get this message: in a group it only answers messages that @mention it.',
};

function rowHtml(m, inThread) {
  const who = m.from === 'bot' ? 'Bot' : m.from;
  const buzz = m.urgent ? '<div class="buzz">❗ Urgent: the bot buzzed you about this</div>' : '';
  const head = '<div class="who">' + esc(who) + ' · ' + esc(m.clock) + (m.edited ? ' · edited' : '') + '</div>' + buzz;
  const quote = m.quote && !inThread ? '<div class="quote">' + esc(m.quote.from === 'bot' ? 'Bot' : m.quote.from) + ': ' + esc(m.quote.text) + '</div>' : '';
  const acts = '<div class="acts"><button type="button" class="act" data-reply="' + esc(m.id) + '">Reply</button>' +
    '<button type="button" class="act" data-thread="' + esc(m.id) + '">Reply in thread</button></div>';
  const label = inThread ? '<div class="thread-label">in thread</div>' : '';
  let body;
  if (m.card) {
    const c = m.card;
    const buttons = c.buttons.map((b) => {
      if (b.url && b.done) return '<button class="btn" disabled title="You are signed in">✓ Signed in</button>';
      if (b.url) return '<a class="btn' + (b.primary ? ' primary' : '') + '" href="' + esc(b.url) + '" target="_blank" rel="noopener">' + esc(b.label) + '</a>';
      // A button is known by what it sends, not by its place: a card updated in place (a slot just taken, the
      // rest offered again) has new buttons, and only the one clicked stays greyed.
      const key = m.id + ':' + JSON.stringify(b.value);
      return '<button class="btn' + (b.primary ? ' primary' : '') + '" data-msg="' + esc(m.id) + '" data-key="' + esc(key) + '" data-value="' + esc(JSON.stringify(b.value)) + '"' + (clicked.has(key) ? ' disabled' : '') + '>' + esc(b.label) + '</button>';
    }).join('');
    body = '<div class="card t-' + esc(c.template || 'blue') + '" data-from="bot">' + buzz + (c.title ? '<h3>' + esc(c.title) + '</h3>' : '') +
      '<div class="cb">' + quote + c.body.map((p) => '<p>' + p + '</p>').join('') + buttons + '</div></div>';
    return '<div class="row" data-id="' + esc(m.id) + '">' + label + body + acts + '</div>';
  }
  body = '<div class="msg" data-from="' + esc(m.from) + '">' + head + quote + '<div class="text">' + m.html + '</div></div>';
  return '<div class="row' + (m.mine ? ' mine' : '') + (inThread ? ' in-thread' : '') + '" data-id="' + esc(m.id) + '">' + label + body + acts + '</div>';
}

/** Messages in display order: the main stream by time, each thread's replies right under its root. */
function ordered(msgs) {
  const byId = new Map(msgs.map((m) => [m.id, m]));
  const isThreadReply = (m) => Boolean(m.threadId && m.rootId !== m.id && byId.has(m.rootId) && byId.get(m.rootId).threadId === m.threadId);
  const out = [];
  for (const m of msgs) {
    if (isThreadReply(m)) continue;
    out.push({ key: m.id, html: rowHtml(m, false) });
    for (const r of msgs) if (isThreadReply(r) && r.rootId === m.id) out.push({ key: r.id, html: rowHtml(r, true) });
  }
  return out;
}

/** Replaces only the rows that changed and moves the rest into place: the user's selection survives. */
function patch(container, items) {
  const keep = new Set(items.map((i) => i.key));
  for (const [k, r] of rows) if (!keep.has(k)) { r.el.remove(); rows.delete(k); }
  let prev = null;
  for (const it of items) {
    let r = rows.get(it.key);
    if (!r || r.html !== it.html) {
      const tpl = document.createElement('template');
      tpl.innerHTML = it.html;
      const el = tpl.content.firstElementChild;
      if (r) r.el.replaceWith(el);
      r = { html: it.html, el };
      rows.set(it.key, r);
    }
    const want = prev ? prev.nextElementSibling : container.firstElementChild;
    if (want !== r.el) container.insertBefore(r.el, want);
    prev = r.el;
  }
}

function setHtml(id, html) {
  if (panels[id] === html) return;
  panels[id] = html;
  $(id).innerHTML = html;
}

async function refresh() {
  const s = await (await fetch('/sandbox/api/state?user=' + encodeURIComponent(user))).json();
  state = s;
  limitBytes = s.textLimitBytes || limitBytes;
  if (!user) user = s.me.key;
  if (!$('user').options.length) { for (const u of s.users) $('user').add(new Option(u.name, u.key, false, u.key === user)); }
  if (s.runs) $('runs').href = s.runs; else $('runs').style.display = 'none';
  setHtml('signed', s.me.signedIn ? '✓ Signed in as ' + esc(s.me.name) : 'Not signed in yet');
  const chat = $('chat').value;
  setHtml('chat-title', chat === 'group' ? 'Team group <span class="muted">· all users and the bot</span>' : 'Bot <span class="muted">· direct message</span>');
  $('mention-wrap').hidden = chat !== 'group';
  const log = $('log');
  const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 20;
  patch(log, ordered(s.messages.filter((m) => m.chat === chat)));
  if (atBottom) log.scrollTop = log.scrollHeight;
  const st = s.status[chat];
  const statusText = st ? STATUS[st.state] || '' : '';
  if ($('status').dataset.state !== (st ? st.state : '')) { $('status').dataset.state = st ? st.state : ''; $('status').textContent = statusText; }
  // The zone the panel's times are in: the user's own, as the bot knows it.
  setHtml('zone', s.zone ? 'times in ' + esc(s.zone) : '');
  setHtml('events', s.events.map((e) => '<li><b>' + esc(e.summary) + '</b><br><span class="muted">' + esc(e.when) + (e.attendees.length ? ' · with ' + esc(e.attendees.join(', ')) : '') + '</span></li>').join('') || '<li class="muted">No events</li>');
  setHtml('reminders', (s.reminders || []).map((r) => '<li>⏰ ' + esc(r.text) + ' <span class="muted">' + esc(r.repeats || r.when) + '</span></li>').join('') || '<li class="muted">No reminders</li>');
  setHtml('tasks', s.tasks.map((t) => '<li>' + (t.completed ? '✅ ' : '☐ ') + esc(t.summary) + (t.due ? ' <span class="muted">due ' + esc(t.due) + '</span>' : '') + '</li>').join('') || '<li class="muted">No tasks</li>');
}

function toast(text, type) {
  const el = document.createElement('div');
  el.className = 'toast ' + (type || 'info');
  el.textContent = text;
  $('toasts').append(el);
  setTimeout(() => el.remove(), 5000);
}

function bytesOf(text) { return new Blob([JSON.stringify({ text })]).size; }
function checkLength() {
  const n = bytesOf($('text').value);
  const over = n > limitBytes;
  $('notice').hidden = !over;
  $('send-button').disabled = over;
  if (over) $('notice').textContent = 'Too long for Lark: a text message can be at most ' + Math.floor(limitBytes / 1024) + ' KB and this one is ' + Math.ceil(n / 1024) + ' KB. It will not be sent; shorten it or split it into several messages.';
}

function setReply(id, inThread) {
  const m = state && state.messages.find((x) => x.id === id);
  if (!m) return;
  replyTo = { id, inThread };
  const who = m.from === 'bot' ? 'Bot' : m.from;
  const text = m.card ? (m.card.title || 'card') : (document.querySelector('.row[data-id="' + CSS.escape(id) + '"] .text') || {}).textContent || '';
  $('replying-text').textContent = (inThread ? 'Replying in thread to ' : 'Replying to ') + who + ': ' + text.slice(0, 100);
  $('replying').hidden = false;
  $('text').focus();
}
function clearReply() { replyTo = null; $('replying').hidden = true; }

$('log').addEventListener('click', async (e) => {
  const act = e.target.closest('button[data-reply],button[data-thread]');
  if (act) return setReply(act.dataset.reply || act.dataset.thread, Boolean(act.dataset.thread));
  const b = e.target.closest('button[data-msg]'); if (!b) return;
  b.disabled = true;
  clicked.add(b.dataset.key);
  const res = await (await fetch('/sandbox/api/click', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, messageId: b.dataset.msg, value: JSON.parse(b.dataset.value) }) })).json();
  if (res.toast) toast(res.toast.content, res.toast.type);
  else if (!res.ok) toast('The app did not accept the click (' + res.status + ')', 'error');
  refresh();
});
$('cancel-reply').addEventListener('click', clearReply);
$('text').addEventListener('input', checkLength);
$('text').addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) { e.preventDefault(); $('send').requestSubmit(); } });
$('send').addEventListener('submit', async (e) => {
  e.preventDefault(); const text = $('text').value; if (!text.trim()) return;
  checkLength(); if ($('send-button').disabled) return;
  const body = { user, text, chat: $('chat').value, mentionBot: $('mention').checked };
  if (replyTo) { body.replyTo = replyTo.id; body.inThread = replyTo.inThread; }
  const res = await fetch('/sandbox/api/send', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const out = await res.json();
  if (!res.ok || !out.ok) { $('notice').hidden = false; $('notice').textContent = out.error || ('Not sent: the app answered ' + out.status); return; }
  $('text').value = ''; clearReply(); checkLength();
  refresh();
});
$('user').addEventListener('change', () => { user = $('user').value; history.replaceState(null, '', '?user=' + user); clearReply(); refresh(); });
$('chat').addEventListener('change', () => { clearReply(); refresh(); });
refresh(); setInterval(refresh, 1000);
</script></body></html>`;
