// The one page of the app: a feed with `<herald-inbox>` as the bell, and the send log beside it.
import { html, raw } from 'hono/html';
import type { User } from './domain';

const styles = `
  :root { font-family: system-ui, sans-serif; color: #1f2937; background: #faf5ff; }
  body { margin: 0; }
  header { display: flex; align-items: center; gap: 1rem; padding: .75rem 1.5rem; background: #6d28d9; color: white; }
  header h1 { font-size: 1.1rem; margin: 0; flex: 1; }
  header a { color: #ede9fe; }
  main { display: grid; grid-template-columns: 3fr 2fr; gap: 1rem; padding: 1rem 1.5rem; }
  section { background: white; border-radius: 8px; padding: 1rem; box-shadow: 0 1px 2px #0001; margin-bottom: 1rem; }
  h2 { font-size: 1rem; margin: 0 0 .75rem; }
  form { display: flex; gap: .5rem; margin-bottom: .5rem; }
  input, select, button { font: inherit; padding: .3rem .5rem; }
  input[name=text] { flex: 1; }
  button { background: #6d28d9; color: white; border: 0; border-radius: 4px; cursor: pointer; }
  .post { border-bottom: 1px solid #ede9fe; padding: .5rem 0; }
  .post button { background: #ede9fe; color: #4c1d95; margin-right: .25rem; }
  .muted { color: #6b7280; font-size: .85rem; }
  table { width: 100%; border-collapse: collapse; font-size: .85rem; }
  th, td { text-align: left; padding: .3rem; border-bottom: 1px solid #ede9fe; }
  herald-inbox { --herald-inbox-accent: #6d28d9; }
  .post:target { background: #fef9c3; }
`;

export function signInPage(users: User[]) {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ooumph — sign in</title><style>${raw(styles)}</style></head>
<body><header><h1>Ooumph</h1></header>
<main><section><h2>Sign in as</h2><ul>
${users.map((user) => html`<li><a href="/sign-in/${user.id}">${user.name}</a> <span class="muted">${user.devices.length} devices</span></li>`)}
<li class="muted">… and fan-001 to fan-150, Ana's followers</li>
</ul></section></main></body></html>`;
}

export function feedPage(user: User, people: User[]) {
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Ooumph — ${user.name}</title><style>${raw(styles)}</style>
<script type="module" src="/assets/herald-inbox.js"></script></head>
<body data-user="${user.id}">
<header>
  <h1>Ooumph</h1>
  <span>${user.name} · ${user.devices.length} devices · <a href="/dev">/dev</a></span>
  <herald-inbox url="/realtime" token-url="/api/realtime-token" api-url="/api/inbox"></herald-inbox>
</header>
<main>
  <div>
    <section>
      <h2>Share</h2>
      <form id="post"><input name="text" placeholder="What's new?" required><button>Post</button></form>
      <form id="community-post"><input name="text" placeholder="Post to Trail runners" required><button>Post to community</button></form>
      <form id="story"><button>Share a story</button></form>
      <form id="connect"><select name="to">${people
        .filter((person) => person.id !== user.id)
        .map(
          (person) => html`<option value="${person.id}">${person.name}</option>`,
        )}</select><button>Ask to connect</button></form>
      <div id="requests"></div>
    </section>
    <section><h2>Feed</h2><div id="feed"></div></section>
  </div>
  <section><h2>Send log</h2><div id="log"></div></section>
</main>
<script type="module">
  const api = (path, init = {}) =>
    fetch(path, { ...init, headers: { 'content-type': 'application/json', ...init.headers } }).then((r) => r.json());
  // Item times relative to the app's clock (which tests move), not the browser's.
  let clockOffsetMs = 0;
  const relative = new Intl.RelativeTimeFormat('en', { numeric: 'auto' });
  document.querySelector('herald-inbox').formatters = {
    time(date) {
      const seconds = Math.round((date.getTime() - (Date.now() + clockOffsetMs)) / 1000);
      if (Math.abs(seconds) < 60) return relative.format(seconds, 'second');
      const minutes = Math.round(seconds / 60);
      return Math.abs(minutes) < 60 ? relative.format(minutes, 'minute') : relative.format(Math.round(minutes / 60), 'hour');
    },
  };
  const text = (value) => { const span = document.createElement('span'); span.textContent = value; return span.innerHTML; };

  // Runs of the same event with the same outcome (20 reactions, each digested) read as one row "× 20".
  const outcome = (entry) => [entry.type, entry.recipients, entry.report.sent, entry.report.skipped, entry.report.failed].join('|');
  const collapse = (entries) => entries.reduce((rows, entry) => {
    const last = rows[rows.length - 1];
    if (last && outcome(last.entry) === outcome(entry)) last.times += 1;
    else rows.push({ entry, times: 1 });
    return rows;
  }, []);

  async function refresh() {
    const [{ posts, requests, now }, log] = await Promise.all([api('/api/feed'), api('/api/log')]);
    clockOffsetMs = Date.parse(now) - Date.now();
    document.body.dataset.appNow = now;
    document.getElementById('feed').innerHTML = posts.map((post) =>
      '<div class="post" id="' + post.id + '" data-post="' + post.id + '"><b>' + text(post.authorName) + '</b> ' + text(post.text) +
      '<div>' + ['like', 'love', 'laugh', 'wow'].map((vibe) => '<button data-vibe="' + vibe + '">' + vibe + '</button>').join('') + '</div></div>'
    ).join('') || '<p class="muted">Nothing yet</p>';
    document.getElementById('requests').innerHTML = requests.map((request) =>
      '<p data-request="' + request.id + '">' + text(request.from) + ' wants to connect ' +
      '<button data-answer="accept">Accept</button> <button data-answer="reject">Decline</button></p>').join('');
    document.getElementById('log').innerHTML =
      '<table><thead><tr><th>Event</th><th>To</th><th>Sent</th><th>Skipped</th><th>Failed</th></tr></thead><tbody>' +
      collapse(log.notifications).slice(0, 12).map(({ entry, times }) => {
        const reasons = [...new Set(entry.report.skips.map((skip) => skip.code))].join(', ');
        return '<tr><td>' + text(entry.type) + (times > 1 ? ' × ' + times : '') + '</td><td>' + entry.recipients + (entry.excluded.length ? ' (actor left out)' : '') +
          '</td><td>' + entry.report.sent + '</td><td title="' + text(reasons) + '">' + entry.report.skipped + (reasons ? ' · ' + text(reasons) : '') +
          '</td><td>' + entry.report.failed + '</td></tr>';
      }).join('') + '</tbody></table>' +
      '<p class="muted">Push batches: ' + log.pushBatches.slice(-5).map((batch) => batch.recipients + ' people / ' + batch.messages + ' devices').join('; ') + '</p>' +
      '<p class="muted">Dead tokens removed: ' + log.removedDevices.map((device) => text(device.token)).join(', ') + '</p>';
  }

  const post = (path, body) => api(path, { method: 'POST', body: JSON.stringify(body) }).then(refresh);
  document.getElementById('post').addEventListener('submit', (event) => {
    event.preventDefault(); post('/api/posts', { text: event.target.text.value }); event.target.reset();
  });
  document.getElementById('community-post').addEventListener('submit', (event) => {
    event.preventDefault(); post('/api/communities/trail-runners/posts', { text: event.target.text.value }); event.target.reset();
  });
  document.getElementById('story').addEventListener('submit', (event) => { event.preventDefault(); post('/api/stories', {}); });
  document.getElementById('connect').addEventListener('submit', (event) => {
    event.preventDefault(); post('/api/connections', { to: event.target.to.value });
  });
  document.getElementById('feed').addEventListener('click', (event) => {
    const vibe = event.target.dataset.vibe;
    if (vibe) post('/api/posts/' + event.target.closest('[data-post]').dataset.post + '/reactions', { vibe });
  });
  document.getElementById('requests').addEventListener('click', (event) => {
    const answer = event.target.dataset.answer;
    if (answer) post('/api/connections/' + event.target.closest('[data-request]').dataset.request + '/answer', { answer });
  });
  refresh();
  setInterval(refresh, 3000);
</script>
</body></html>`;
}
