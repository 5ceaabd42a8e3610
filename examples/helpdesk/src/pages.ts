// The desk's HTML, rendered on the server with Herald's escaping `html` tag. The bell is `<herald-inbox>`;
// actions are small fetch calls (client.js) that reload the page.

import type { DeliveryRecord } from '@herald/core';
import { html, type SafeHtml, unsafeHtml } from '@herald/core';
import type { Ticket } from './tickets';
import { findUser, type User, users, usersWithRole } from './users';

const styles = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; color: #111827; }
header { display: flex; align-items: center; gap: 16px; padding: 10px 20px; border-bottom: 1px solid #e5e7eb; }
header h1 { font-size: 18px; margin: 0; flex: 1; }
main { display: grid; grid-template-columns: 320px 1fr; gap: 24px; padding: 16px 20px; }
ul.tickets { list-style: none; padding: 0; margin: 0; }
ul.tickets li a { display: block; padding: 8px; border-radius: 6px; text-decoration: none; color: inherit; }
ul.tickets li a.current, ul.tickets li a:hover { background: #eef2ff; }
.priority-urgent { color: #b91c1c; font-weight: 600; }
.meta { color: #6b7280; font-size: 12px; }
form { margin: 8px 0; display: flex; gap: 6px; flex-wrap: wrap; align-items: center; }
input, select, textarea, button { font: inherit; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
td, th { text-align: left; padding: 3px 6px; border-bottom: 1px solid #e5e7eb; }
.error { color: #b91c1c; }
.status-sent, .status-delivered, .status-read { color: #047857; }
.status-failed { color: #b91c1c; }
`;

function layout(title: string, body: SafeHtml, head: SafeHtml | string = ''): string {
  return html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title}</title><style>${unsafeHtml(styles)}</style>${head}</head><body>${body}</body></html>`.value;
}

export function loginPage(): string {
  return layout(
    'Sign in · Helpdesk',
    html`<main style="display:block;max-width:420px"><h1>Helpdesk</h1><p>Sign in as one of the seeded users:</p>
    ${users.map(
      (user) => html`<form method="post" action="/login"><input type="hidden" name="userId" value="${user.id}">
        <button type="submit" data-user="${user.id}">${user.name}</button> <span class="meta">${user.role}</span></form>`,
    )}</main>`,
  );
}

function deliveryLog(records: readonly DeliveryRecord[]): SafeHtml {
  if (records.length === 0) return html`<p class="meta">Nothing sent yet.</p>`;
  return html`<table id="delivery-log"><thead><tr><th>type</th><th>to</th><th>channel</th><th>status</th><th>why / when</th></tr></thead><tbody>
  ${records.map(
    (record) => html`<tr data-type="${record.type}" data-kind="${record.kind}" data-status="${record.status}">
      <td>${record.type}</td><td>${findUser(record.recipientId)?.name ?? record.recipientId}</td><td>${record.kind}</td>
      <td class="status-${record.status}">${record.status}</td>
      <td>${record.error ? `${record.error.code}: ${record.error.message}` : (record.reason ?? '')}${
        record.scheduledFor ? ` due ${record.scheduledFor}` : ''
      }</td></tr>`,
  )}</tbody></table>`;
}

function ticketDetail(user: User, ticket: Ticket, records: readonly DeliveryRecord[]): SafeHtml {
  const agents = usersWithRole('agent');
  const assignee = findUser(ticket.assigneeId);
  return html`<section id="ticket" data-ticket="${ticket.id}">
    <h2>${ticket.id}: ${ticket.title}</h2>
    <p class="meta"><span class="priority-${ticket.priority}">${ticket.priority}</span> · ${ticket.status.replace('_', ' ')} ·
      reported by ${findUser(ticket.reporterId)?.name ?? ticket.reporterId} · assignee ${assignee?.name ?? 'nobody'} ·
      watchers ${ticket.watcherIds.map((id) => findUser(id)?.name ?? id).join(', ') || 'none'} · SLA due ${ticket.dueAt}</p>
    <p>${ticket.description}</p>
    <p class="error" id="action-error" role="alert"></p>
    ${
      user.role === 'manager'
        ? html`<form data-action="assign"><label>Assign to <select name="assigneeId">${agents.map(
            (agent) =>
              html`<option value="${agent.id}" ${agent.id === ticket.assigneeId ? unsafeHtml('selected') : ''}>${agent.name}</option>`,
          )}</select></label><button type="submit">Assign</button></form>`
        : ''
    }
    ${
      user.role === 'reporter'
        ? ''
        : html`<form data-action="status"><select name="status"><option value="open">open</option><option value="in_progress">in progress</option></select><button type="submit">Set status</button></form>
          <form data-action="resolve"><input name="resolution" placeholder="Resolution" required><button type="submit">Resolve</button></form>`
    }
    ${
      ticket.status === 'resolved' && (user.id === ticket.reporterId || user.role === 'manager')
        ? html`<form data-action="reject"><input name="reason" placeholder="Why is it not fixed? (10+ characters)"><button type="submit">Reject resolution</button></form>`
        : ''
    }
    <form data-action="watch"><button type="submit">Watch</button></form>
    <h3>Comments</h3>
    <ul>${ticket.comments.map((comment) => html`<li><strong>${comment.by}</strong> <span class="meta">${comment.at}</span><br>${comment.text}</li>`)}</ul>
    <form data-action="comments"><input name="text" placeholder="Comment" required><button type="submit">Comment</button></form>
    <h3>Delivery log</h3>${deliveryLog(records)}
  </section>`;
}

export function deskPage(options: {
  user: User;
  tickets: readonly Ticket[];
  current: { ticket: Ticket; records: readonly DeliveryRecord[] } | undefined;
  realtimeUrl: string;
}): string {
  const { user, tickets, current } = options;
  return layout(
    current === undefined ? 'Helpdesk' : `${current.ticket.id} · Helpdesk`,
    html`<header><h1>Helpdesk</h1>
      <span>${user.name} <span class="meta">(${user.role})</span></span>
      <herald-inbox url="${options.realtimeUrl}" token-url="/api/realtime-token" api-url="/api/inbox"></herald-inbox>
      <a href="/dev">/dev</a>
      <form method="post" action="/logout"><button type="submit">Sign out</button></form></header>
    <main><aside><h2>Tickets</h2>
      <form data-action="create"><input name="title" placeholder="New ticket title" required>
        <select name="priority">${['normal', 'low', 'high', 'urgent'].map((priority) => html`<option>${priority}</option>`)}</select>
        <button type="submit">Create</button></form>
      <ul class="tickets">${tickets.map(
        (
          ticket,
        ) => html`<li><a href="/tickets/${ticket.id}" class="${ticket.id === current?.ticket.id ? 'current' : ''}">
          <strong>${ticket.id}</strong> ${ticket.title}<br><span class="meta"><span class="priority-${ticket.priority}">${ticket.priority}</span> · ${ticket.status.replace('_', ' ')}</span></a></li>`,
      )}</ul></aside>
    <div>${current === undefined ? html`<p class="meta">Pick a ticket, or create one.</p>` : ticketDetail(user, current.ticket, current.records)}</div></main>`,
    html`<script type="module" src="/assets/inbox.js"></script><script type="module" src="/assets/client.js"></script>`,
  );
}

/** The page's own script: each `form[data-action]` posts JSON to the ticket API, then reloads. */
export const clientScript = `
const ticket = document.querySelector('#ticket')?.dataset.ticket;
for (const form of document.querySelectorAll('form[data-action]')) {
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const action = form.dataset.action;
    const url = action === 'create' ? '/api/tickets' : '/api/tickets/' + encodeURIComponent(ticket) + '/' + action;
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(Object.fromEntries(new FormData(form))),
    });
    const body = await response.json();
    if (!response.ok) {
      const error = document.querySelector('#action-error');
      if (error) error.textContent = body.error.message;
      return;
    }
    location.href = '/tickets/' + encodeURIComponent(body.ticket.id);
  });
}
`;
