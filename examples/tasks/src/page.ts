// The one page of the app: a task board with `<herald-inbox>` as the bell. Plain HTML and a little script.
import { html, raw } from 'hono/html';
import type { User } from './domain';

const styles = `
  :root { font-family: system-ui, sans-serif; color: #1f2937; background: #f3f4f6; }
  body { margin: 0; }
  header { display: flex; align-items: center; gap: 1rem; padding: .75rem 1.5rem; background: #1e3a8a; color: white; }
  header h1 { font-size: 1.1rem; margin: 0; flex: 1; }
  header .who { font-size: .9rem; opacity: .9; }
  header a { color: #bfdbfe; }
  main { display: grid; grid-template-columns: 2fr 1fr; gap: 1rem; padding: 1rem 1.5rem; }
  section { background: white; border-radius: 8px; padding: 1rem; box-shadow: 0 1px 2px #0001; }
  h2 { font-size: 1rem; margin: 0 0 .75rem; }
  table { width: 100%; border-collapse: collapse; font-size: .9rem; }
  th, td { text-align: left; padding: .35rem .4rem; border-bottom: 1px solid #e5e7eb; }
  form { display: flex; flex-wrap: wrap; gap: .5rem; margin-bottom: .75rem; }
  input, select, button { font: inherit; padding: .3rem .5rem; }
  button { background: #1e40af; color: white; border: 0; border-radius: 4px; cursor: pointer; }
  .muted { color: #6b7280; font-size: .85rem; }
  .state { font-size: .8rem; }
  ul { padding-left: 1rem; margin: .25rem 0; }
  herald-inbox { --herald-inbox-accent: #1e40af; }
  tr:target { background: #fef9c3; }
`;

export function signInPage(users: User[]) {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Field tasks — sign in</title><style>${raw(styles)}</style></head>
<body><header><h1>Field tasks</h1></header>
<main><section><h2>Sign in as</h2><ul>
${users.map((user) => html`<li><a href="/sign-in/${user.id}">${user.name}</a> <span class="muted">${user.role}</span></li>`)}
</ul></section></main></body></html>`;
}

export function boardPage(user: User, users: User[]) {
  const isOffice = user.role === 'office';
  const technicianOptions = users
    .filter((candidate) => candidate.role === 'technician')
    .map((candidate) => html`<option value="${candidate.id}">${candidate.name}</option>`);
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Field tasks — ${user.name}</title><style>${raw(styles)}</style>
<script type="module" src="/assets/herald-inbox.js"></script></head>
<body data-user="${user.id}" data-role="${user.role}">
<header>
  <h1>Field tasks</h1>
  <span class="who">${user.name} (${user.role}) · <span id="clock" data-testid="clock"></span> · <a href="/dev">/dev</a></span>
  <herald-inbox url="/realtime" token-url="/api/realtime-token" api-url="/api/inbox"></herald-inbox>
</header>
<main>
  <section>
    <h2>${isOffice ? 'All tasks' : 'My tasks'}</h2>
    ${
      isOffice
        ? html`<form id="new-task">
      <input name="title" placeholder="Task title" required>
      <select name="assigneeId"><option value="">Unassigned</option>${technicianOptions}</select>
      <input name="dueAt" type="datetime-local" aria-label="Due (UTC)">
      <button>Create task</button>
    </form>`
        : ''
    }
    <table><thead><tr><th>Task</th><th>Assignee</th><th>Status</th><th>Due (UTC)</th></tr></thead>
    <tbody id="tasks"></tbody></table>
  </section>
  <section>
    ${
      isOffice
        ? html`<h2>Broadcast to technicians</h2>
    <form id="broadcast">
      <input name="message" placeholder="Message" required>
      <select name="priority"><option value="normal">Normal</option><option value="urgent">Urgent (ignores opt-outs)</option></select>
      <button>Send</button>
    </form>
    <h2>Delivered / read</h2><div id="tracking" class="state"></div>`
        : html`<h2>My preferences</h2>
    <label><input type="checkbox" id="broadcast-opt-out"> Mute office broadcasts (urgent ones still arrive)</label>`
    }
  </section>
</main>
<script type="module">
  const isOffice = document.body.dataset.role === 'office';
  const users = ${raw(JSON.stringify(users.map(({ id, name, role }) => ({ id, name, role }))).replaceAll('<', '\\u003c'))};
  const nameOf = (id) => users.find((user) => user.id === id)?.name ?? '—';
  const api = (path, init = {}) =>
    fetch(path, { ...init, headers: { 'content-type': 'application/json', ...init.headers } }).then((r) => r.json());
  const local = (iso) => (iso ? iso.slice(0, 16) : '');
  // Item times relative to the app's clock (which tests move), not the browser's.
  let clockOffsetMs = 0;
  const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  document.querySelector('herald-inbox').formatters = {
    time(date) {
      const minutes = Math.round((date.getTime() - (Date.now() + clockOffsetMs)) / 60000);
      if (Math.abs(minutes) < 60) return relative.format(minutes, 'minute');
      const hours = Math.round(minutes / 60);
      return Math.abs(hours) < 24 ? relative.format(hours, 'hour') : relative.format(Math.round(hours / 24), 'day');
    },
  };

  async function refresh() {
    const [{ tasks }, me] = await Promise.all([api('/api/tasks'), api('/api/me')]);
    clockOffsetMs = Date.parse(me.now) - Date.now();
    document.getElementById('clock').textContent = 'now ' + me.now.slice(0, 16).replace('T', ' ') + ' UTC';
    const mine = isOffice ? tasks : tasks.filter((task) => task.assigneeId === document.body.dataset.user);
    const rows = mine.map((task) => {
      const assignee = isOffice
        ? '<select data-field="assigneeId"><option value="">Unassigned</option>' +
          users.filter((u) => u.role === 'technician').map((u) =>
            '<option value="' + u.id + '"' + (u.id === task.assigneeId ? ' selected' : '') + '>' + u.name + '</option>').join('') +
          '</select>'
        : nameOf(task.assigneeId);
      const status = '<select data-field="status">' + [['todo', 'To do'], ['in_progress', 'In progress'], ['done', 'Done']]
        .map(([value, label]) => '<option value="' + value + '"' + (value === task.status ? ' selected' : '') + '>' + label + '</option>').join('') + '</select>';
      const due = isOffice ? '<input type="datetime-local" data-field="dueAt" value="' + local(task.dueAt) + '">' : local(task.dueAt).replace('T', ' ');
      const title = document.createElement('span');
      title.textContent = task.title;
      return '<tr id="task-' + task.id + '" data-task="' + task.id + '"><td>' + task.id + ' ' + title.innerHTML + '</td><td>' + assignee + '</td><td>' + status + '</td><td>' + due + '</td></tr>';
    });
    document.getElementById('tasks').innerHTML = rows.join('') || '<tr><td colspan="4" class="muted">No tasks</td></tr>';
    if (isOffice) {
      const { technicians } = await api('/api/tracking');
      document.getElementById('tracking').innerHTML = technicians.map((row) =>
        '<b>' + row.user.name + '</b> <span class="muted">' + row.unread + ' unread</span><ul>' +
        row.items.slice(0, 4).map((item) => {
          const li = document.createElement('li');
          li.textContent = item.title + ' — ' + (item.readAt ? 'read' : item.deliveredAt ? 'delivered' : 'waiting for the device');
          return li.outerHTML;
        }).join('') + '</ul>').join('');
    }
  }

  document.getElementById('tasks').addEventListener('change', async (event) => {
    const field = event.target.dataset.field;
    const id = event.target.closest('tr').dataset.task;
    let value = event.target.value || null;
    if (field === 'dueAt' && value) value = new Date(value + 'Z').toISOString();
    await api('/api/tasks/' + id, { method: 'PATCH', body: JSON.stringify({ [field]: value }) });
    refresh();
  });
  document.getElementById('new-task')?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    const body = { title: form.get('title') };
    if (form.get('assigneeId')) body.assigneeId = form.get('assigneeId');
    if (form.get('dueAt')) body.dueAt = new Date(form.get('dueAt') + 'Z').toISOString();
    await api('/api/tasks', { method: 'POST', body: JSON.stringify(body) });
    event.target.reset();
    refresh();
  });
  document.getElementById('broadcast')?.addEventListener('submit', async (event) => {
    event.preventDefault();
    const form = new FormData(event.target);
    await api('/api/broadcasts', { method: 'POST', body: JSON.stringify({ message: form.get('message'), priority: form.get('priority') }) });
    event.target.reset();
    refresh();
  });
  const optOut = document.getElementById('broadcast-opt-out');
  if (optOut) {
    const preferences = await api('/api/inbox/preferences');
    optOut.checked = preferences.types?.broadcast?.inApp === false;
    optOut.addEventListener('change', () =>
      api('/api/inbox/preferences', { method: 'PUT', body: JSON.stringify({ types: { broadcast: { inApp: !optOut.checked } } }) }));
  }
  refresh();
  setInterval(refresh, 3000);
</script>
</body></html>`;
}
