/**
 * The sandbox: a small web chat page on the emulator where a person chats with the bot as a simulated Lark
 * user, clicks its cards (sign in, Confirm / Cancel), sees the calendar and tasks the agent changed, and
 * follows a link to their runs in the Temporal UI. It drives the app exactly as Lark would: signed events
 * to the webhook, card callbacks to /webhook/card.
 */
import type { Json, Router } from './http';
import { bodyObject } from './http';
import type { Delivery, SendOptions, WebhookTarget } from './sender';
import type { EmulatorState, Message } from './state';

export interface SandboxDeps {
  state: EmulatorState;
  groupChatId: string;
  /** The app's event URL; card clicks go to the sibling /webhook/card. */
  webhookUrl?: string;
  temporalUiUrl?: string;
  namespace?: string;
  timeZone?: string;
  sendEvent(target: WebhookTarget | string | undefined, payload: Json, opts?: SendOptions): Delivery;
  message(spec: { from: string; text: string; chatType: 'p2p' | 'group'; mentionBot: boolean }): Json;
  cardAction(spec: { from: string; messageId: string; value: Json }): Json;
}

interface CardView {
  title?: string;
  body: string[];
  buttons: Array<{ label: string; url?: string; value?: Json }>;
}

export function registerSandbox(router: Router, deps: () => SandboxDeps): void {
  router.add('GET', '/sandbox', () => ({ kind: 'html', html: SANDBOX_HTML }));
  router.add('GET', '/sandbox/api/state', (ctx) => ({ kind: 'json', body: view(deps(), ctx.query.get('user') ?? '') }));
  router.add('POST', '/sandbox/api/send', async (ctx) => {
    const d = deps();
    const b = bodyObject(ctx);
    const text = typeof b.text === 'string' ? b.text.slice(0, 4000) : '';
    const user = typeof b.user === 'string' ? b.user : '';
    if (!text.trim() || !userByKey(d, user)) return { kind: 'json', status: 400, body: { ok: false, error: 'user and text are required' } };
    const chatType = b.chat === 'group' ? 'group' : 'p2p';
    const payload = d.message({ from: user, text, chatType, mentionBot: chatType === 'group' && b.mentionBot !== false });
    const attempt = await d.sendEvent(undefined, payload).done;
    return { kind: 'json', body: { ok: attempt.ok, status: attempt.status ?? attempt.error } };
  });
  router.add('POST', '/sandbox/api/click', async (ctx) => {
    const d = deps();
    const b = bodyObject(ctx);
    if (typeof b.user !== 'string' || typeof b.messageId !== 'string' || typeof b.value !== 'object' || !d.webhookUrl) {
      return { kind: 'json', status: 400, body: { ok: false, error: 'user, messageId and value are required' } };
    }
    const cardUrl = d.webhookUrl.replace(/\/webhook\/event$/, '/webhook/card');
    const attempt = await d.sendEvent(cardUrl, d.cardAction({ from: b.user, messageId: b.messageId, value: b.value as Json })).done;
    return { kind: 'json', body: { ok: attempt.ok, response: attempt.responseText ? safeJson(attempt.responseText) : undefined } };
  });
}

function view(d: SandboxDeps, userKey: string) {
  const tz = d.timeZone ?? 'Asia/Ho_Chi_Minh';
  const users = d.state.users.map((u) => ({ key: u.key, name: u.name, openId: u.open_id }));
  const me = userByKey(d, userKey) ?? d.state.users[0]!;
  const chats = new Set([me.p2pChatId, d.groupChatId]);
  const when = (ms: number) => new Intl.DateTimeFormat('en-GB', { timeZone: tz, dateStyle: 'medium', timeStyle: 'short' }).format(ms);
  const messages = d.state
    .messageList()
    .filter((m) => chats.has(m.chat_id) && !m.deleted)
    .map((m) => ({
      id: m.message_id,
      chat: m.chat_id === d.groupChatId ? 'group' : 'p2p',
      from: m.sender.sender_type === 'app' ? 'bot' : (d.state.findUser(m.sender.id)?.name ?? m.sender.id),
      mine: m.sender.id === me.open_id,
      inReplyTo: m.parent_id,
      time: Number(m.create_time),
      ...render(m),
    }))
    .sort((a, b) => a.time - b.time);
  const onMyCalendar = (calendarId: string) => d.state.calendars.get(calendarId)?.owner === me.open_id;
  const events = d.state
    .eventList()
    .filter((e) => e.status !== 'cancelled' && (onMyCalendar(e.organizer_calendar_id) || e.attendees.some((a) => (a as { user_id?: string }).user_id === me.open_id)))
    .map((e) => ({
      summary: e.summary ?? '(no title)',
      start: timeOf(e.start_time, when),
      end: timeOf(e.end_time, when),
      attendees: e.attendees.map((a) => d.state.findUser(String((a as { user_id?: string }).user_id ?? ''))?.name).filter(Boolean),
    }));
  const tasks = d.state
    .taskList()
    .filter((t) => t.members.some((m) => m.id === me.open_id))
    .map((t) => ({
      summary: t.summary,
      due: (t.due as { timestamp?: string } | undefined)?.timestamp ? when(Number((t.due as { timestamp: string }).timestamp)) : undefined,
      completed: t.completed_at !== '0' && t.completed_at !== '',
    }));
  const runs = d.temporalUiUrl
    ? `${d.temporalUiUrl}/namespaces/${d.namespace ?? 'default'}/workflows?query=${encodeURIComponent(`LarkOpenId="${me.open_id}"`)}`
    : undefined;
  return { users, me: { key: me.key, name: me.name, openId: me.open_id }, messages, events, tasks, runs };
}

function userByKey(d: SandboxDeps, key: string) {
  return d.state.users.find((u) => u.key === key || u.open_id === key);
}

function render(m: Message): { text?: string; card?: CardView } {
  let content: Json;
  try {
    content = JSON.parse(m.content) as Json;
  } catch {
    return { text: m.content };
  }
  if (m.msg_type === 'text') return { text: String(content.text ?? '') };
  if (m.msg_type !== 'interactive') return { text: `[${m.msg_type}]` };
  const card: CardView = { body: [], buttons: [] };
  const header = content.header as { title?: { content?: string } } | undefined;
  card.title = header?.title?.content;
  for (const el of (content.elements as Json[] | undefined) ?? []) {
    if (el.tag === 'div') card.body.push(String((el.text as { content?: string } | undefined)?.content ?? ''));
    if (el.tag === 'note') card.body.push(((el.elements as Array<{ content?: string }>) ?? []).map((n) => n.content ?? '').join(' '));
    if (el.tag === 'action') {
      for (const a of (el.actions as Json[]) ?? []) {
        const label = String((a.text as { content?: string } | undefined)?.content ?? 'Button');
        const url = (a.multi_url as { url?: string } | undefined)?.url ?? (typeof a.url === 'string' ? a.url : undefined);
        card.buttons.push(url ? { label, url } : { label, value: (a.value as Json) ?? {} });
      }
    }
  }
  return { card };
}

function timeOf(t: Json, when: (ms: number) => string): string {
  const ts = (t as { timestamp?: string }).timestamp;
  if (ts) return when(Number(ts) * 1000);
  return String((t as { date?: string }).date ?? '');
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const SANDBOX_HTML = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Lark agent sandbox</title>
<style>
*{box-sizing:border-box}body{margin:0;font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:#1f2329;background:#f5f6f7}
header{display:flex;gap:1rem;align-items:center;padding:.7rem 1rem;background:#3370ff;color:#fff}
header h1{font-size:1.05rem;margin:0 1rem 0 0}header select,header label{font-size:.9rem}
header a{color:#fff;margin-left:auto}
main{display:grid;grid-template-columns:minmax(0,2fr) minmax(16rem,1fr);gap:1rem;padding:1rem;height:calc(100vh - 3.2rem)}
#chat{display:flex;flex-direction:column;background:#fff;border-radius:8px;overflow:hidden}
#log{flex:1;overflow:auto;padding:1rem;display:flex;flex-direction:column;gap:.6rem}
.msg{max-width:75%;padding:.5rem .75rem;border-radius:10px;background:#f0f1f5;white-space:pre-wrap}
.msg.mine{align-self:flex-end;background:#d6e4ff}.msg .who{font-size:.75rem;color:#646a73;margin-bottom:.2rem}
.card{border:1px solid #dee0e3;border-radius:8px;background:#fff;padding:.6rem .8rem;max-width:75%}
.card h3{margin:0 0 .4rem;font-size:.95rem}.card p{margin:.3rem 0;white-space:pre-wrap}
.card button,.card a.btn{margin:.3rem .4rem 0 0;padding:.35rem .8rem;border-radius:6px;border:1px solid #3370ff;background:#3370ff;color:#fff;cursor:pointer;text-decoration:none;display:inline-block;font-size:.9rem}
.card button.secondary{background:#fff;color:#3370ff}
form{display:flex;gap:.5rem;padding:.7rem;border-top:1px solid #eee}form input[type=text]{flex:1;padding:.55rem;border:1px solid #ccc;border-radius:6px}
form button{padding:.55rem 1rem;border:0;border-radius:6px;background:#3370ff;color:#fff}
aside{display:flex;flex-direction:column;gap:1rem;overflow:auto}section{background:#fff;border-radius:8px;padding:.8rem}
section h2{font-size:.95rem;margin:0 0 .5rem}section li{margin:.3rem 0}.muted{color:#8f959e;font-size:.85rem}
</style></head><body>
<header><h1>Lark agent sandbox</h1>
<label>You are <select id="user"></select></label>
<label>Chat <select id="chat"><option value="p2p">Direct message with the bot</option><option value="group">Team group (@bot)</option></select></label>
<a id="runs" target="_blank" rel="noopener">Your runs in the Temporal UI</a></header>
<main><div id="chat"><div id="log" aria-live="polite"></div>
<form id="send"><input id="text" type="text" autocomplete="off" placeholder="Try: tạo cuộc họp 3h chiều mai với Lan  ·  add a task to send the report by Monday"><button>Send</button></form></div>
<aside><section><h2>Calendar</h2><ul id="events"></ul></section><section><h2>Tasks</h2><ul id="tasks"></ul></section>
<section class="muted">Messages go to the app as signed Lark events; cards call the app's card callback. The bot answers with the offline model unless ANTHROPIC_API_KEY is set.</section></aside></main>
<script>
const $ = (id) => document.getElementById(id);
const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) + ';');
let user = new URLSearchParams(location.search).get('user') || '';
async function refresh() {
  const s = await (await fetch('/sandbox/api/state?user=' + encodeURIComponent(user))).json();
  if (!user) user = s.me.key;
  if (!$('user').options.length) { for (const u of s.users) $('user').add(new Option(u.name, u.key, false, u.key === user)); }
  if (s.runs) $('runs').href = s.runs; else $('runs').style.display = 'none';
  const chat = $('chat').value;
  const log = $('log'); const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 20;
  log.innerHTML = s.messages.filter((m) => m.chat === chat).map((m) => m.card ? cardHtml(m) :
    '<div class="msg' + (m.mine ? ' mine' : '') + '" data-from="' + esc(m.from) + '"><div class="who">' + esc(m.from) + '</div>' + esc(m.text) + '</div>').join('');
  if (atBottom) log.scrollTop = log.scrollHeight;
  $('events').innerHTML = s.events.map((e) => '<li><b>' + esc(e.summary) + '</b><br><span class="muted">' + esc(e.start) + ' – ' + esc(e.end) + (e.attendees.length ? ' · with ' + esc(e.attendees.join(', ')) : '') + '</span></li>').join('') || '<li class="muted">No events</li>';
  $('tasks').innerHTML = s.tasks.map((t) => '<li>' + (t.completed ? '✅ ' : '☐ ') + esc(t.summary) + (t.due ? ' <span class="muted">due ' + esc(t.due) + '</span>' : '') + '</li>').join('') || '<li class="muted">No tasks</li>';
}
function cardHtml(m) {
  const c = m.card;
  const buttons = c.buttons.map((b, i) => b.url ? '<a class="btn" href="' + esc(b.url) + '" target="_blank" rel="noopener">' + esc(b.label) + '</a>'
    : '<button class="' + (i ? 'secondary' : '') + '" data-msg="' + esc(m.id) + '" data-value="' + esc(JSON.stringify(b.value)) + '">' + esc(b.label) + '</button>').join('');
  return '<div class="card" data-from="bot">' + (c.title ? '<h3>' + esc(c.title) + '</h3>' : '') + c.body.map((p) => '<p>' + esc(p) + '</p>').join('') + buttons + '</div>';
}
$('log').addEventListener('click', async (e) => {
  const b = e.target.closest('button[data-msg]'); if (!b) return;
  b.disabled = true;
  await fetch('/sandbox/api/click', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, messageId: b.dataset.msg, value: JSON.parse(b.dataset.value) }) });
  refresh();
});
$('send').addEventListener('submit', async (e) => {
  e.preventDefault(); const text = $('text').value.trim(); if (!text) return;
  $('text').value = '';
  await fetch('/sandbox/api/send', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user, text, chat: $('chat').value }) });
  refresh();
});
$('user').addEventListener('change', () => { user = $('user').value; history.replaceState(null, '', '?user=' + user); refresh(); });
$('chat').addEventListener('change', refresh);
refresh(); setInterval(refresh, 1000);
</script></body></html>`;
