// The developer page: one server-rendered HTML document, no script. Every value shown comes from payloads,
// templates or provider stand-ins and is escaped (core's `html` tag); email bodies render in a sandboxed iframe
// (no scripts, no same origin) from an escaped `srcdoc`.

import { type AnyNotificationDefinition, html, type SafeHtml, unsafeHtml } from '@herald/core';
import type { NotificationWithDeliveries } from './notification-log';
import type { ChannelPreview, NotificationPreview } from './notification-preview';
import type { SentEmail, SentPush, SentWhatsAppMessage } from './sent-messages';

export interface DevtoolsPageData {
  basePath: string;
  mail: readonly SentEmail[] | undefined;
  whatsapp: readonly SentWhatsAppMessage[] | undefined;
  push: readonly SentPush[] | undefined;
  notifications: readonly NotificationWithDeliveries[];
  previews: readonly NotificationPreview[];
  /** Definitions that declare no `previews`. */
  withoutPreviews: readonly AnyNotificationDefinition[];
}

const styles = `
:root { color-scheme: light dark; --muted: #6b7280; --line: #d1d5db; --bad: #b91c1c; --ok: #047857; }
body { font: 14px/1.45 system-ui, sans-serif; margin: 0; }
header { padding: 12px 20px; border-bottom: 1px solid var(--line); display: flex; gap: 20px; align-items: baseline; flex-wrap: wrap; }
header h1 { font-size: 18px; margin: 0; }
nav a { margin-right: 14px; }
main { padding: 0 20px 40px; max-width: 1200px; }
section { margin-top: 24px; }
h2 { font-size: 16px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
article { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; margin: 10px 0; }
article h3 { font-size: 14px; margin: 0 0 4px; }
.meta { color: var(--muted); font-size: 12px; }
.empty { color: var(--muted); }
.columns { display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr); gap: 10px; }
iframe { width: 100%; height: 260px; border: 1px solid var(--line); background: #fff; }
pre { white-space: pre-wrap; word-break: break-word; margin: 0; font-size: 12px; }
table { border-collapse: collapse; width: 100%; font-size: 12px; }
td, th { text-align: left; padding: 3px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
.status-failed, .status-error { color: var(--bad); }
.status-sent, .status-delivered, .status-read, .status-rendered { color: var(--ok); }
.channel { border-top: 1px dashed var(--line); padding-top: 6px; margin-top: 6px; }
.issues { color: var(--bad); }
`;

function count(list: readonly unknown[] | undefined): string {
  return list === undefined ? '–' : String(list.length);
}

function emailBody(htmlBody: string | undefined, text: string | undefined, title: string): SafeHtml {
  return html`<div class="columns">
    <div>${
      htmlBody === undefined
        ? html`<p class="empty">No HTML part.</p>`
        : html`<iframe sandbox="" referrerpolicy="no-referrer" title="${title}" srcdoc="${htmlBody}"></iframe>`
    }</div>
    <div><pre data-part="text">${text ?? '(no text part)'}</pre></div>
  </div>`;
}

function mailSection(mail: readonly SentEmail[] | undefined): SafeHtml {
  const body =
    mail === undefined
      ? html`<p class="empty">No mail source: pass <code>mail</code> (an SMTP sink) to createDevtoolsHandler.</p>`
      : mail.length === 0
        ? html`<p class="empty">No email received yet.</p>`
        : [...mail].reverse().map(
            (message) => html`<article data-kind="email">
              <h3>${message.subject || '(no subject)'}</h3>
              <p class="meta">${message.from} → ${message.to.join(', ')} · ${message.receivedAt}</p>
              ${emailBody(message.html, message.text, `Email: ${message.subject}`)}
            </article>`,
          );
  return html`<section id="mail"><h2>Email (${count(mail)})</h2>${body}</section>`;
}

function whatsappSection(messages: readonly SentWhatsAppMessage[] | undefined): SafeHtml {
  const body =
    messages === undefined
      ? html`<p class="empty">No WhatsApp source: pass <code>whatsapp</code> (a Cloud API stand-in).</p>`
      : messages.length === 0
        ? html`<p class="empty">No WhatsApp message received yet.</p>`
        : [...messages].reverse().map(
            (message) => html`<article data-kind="whatsapp">
              <h3>To ${message.to} <span class="meta">(${message.type})</span></h3>
              <p class="meta">${message.receivedAt}</p>
              ${message.text === undefined ? '' : html`<pre>${message.text}</pre>`}
              ${
                message.template === undefined
                  ? ''
                  : html`<p>Template <code>${message.template.name}</code> (${message.template.language}):
                      ${message.template.parameters.map((parameter, index) => html`<code>{{${index + 1}}} = ${parameter}</code> `)}</p>`
              }
            </article>`,
          );
  return html`<section id="whatsapp"><h2>WhatsApp (${count(messages)})</h2>${body}</section>`;
}

function pushSection(messages: readonly SentPush[] | undefined): SafeHtml {
  const body =
    messages === undefined
      ? html`<p class="empty">No push source: pass <code>push</code> (an FCM stand-in).</p>`
      : messages.length === 0
        ? html`<p class="empty">No push received yet.</p>`
        : [...messages].reverse().map(
            (message) => html`<article data-kind="push">
              <h3>${message.title ?? '(no title)'}</h3>
              <p>${message.body ?? ''}</p>
              <p class="meta">Token ${message.token} · ${message.receivedAt}</p>
              ${message.data === undefined ? '' : html`<pre>${JSON.stringify(message.data, null, 2)}</pre>`}
            </article>`,
          );
  return html`<section id="push"><h2>Push (${count(messages)})</h2>${body}</section>`;
}

function notificationsSection(notifications: readonly NotificationWithDeliveries[]): SafeHtml {
  const body =
    notifications.length === 0
      ? html`<p class="empty">No notification created by this process yet.</p>`
      : notifications.map(
          (notification) => html`<article data-kind="notification">
            <h3><code>${notification.type}</code> <span class="meta">${notification.notificationId}</span></h3>
            <p class="meta">${notification.createdAt} · to ${notification.recipientIds.join(', ') || 'nobody'}${
              notification.excluded.length === 0
                ? ''
                : html` · left out: ${notification.excluded.map((entry) => `${entry.recipientId} (${entry.reason})`).join(', ')}`
            }${notification.scheduledFor === undefined ? '' : html` · scheduled for ${notification.scheduledFor}`}</p>
            <table><thead><tr><th>recipient</th><th>channel</th><th>status</th><th>attempts</th><th>why</th></tr></thead><tbody>
            ${notification.deliveries.map(
              (delivery) => html`<tr>
                <td>${delivery.recipientId}</td><td>${delivery.kind}${delivery.channelId === undefined ? '' : ` (${delivery.channelId})`}</td>
                <td class="status-${delivery.status}">${delivery.status}</td><td>${delivery.attempts}</td>
                <td>${delivery.error === undefined ? '' : `${delivery.error.code}: ${delivery.error.message}`}${delivery.reason ?? ''}${
                  delivery.scheduledFor === undefined ? '' : ` due ${delivery.scheduledFor}`
                }</td></tr>`,
            )}
            </tbody></table>
          </article>`,
        );
  return html`<section id="notifications"><h2>Notifications (${notifications.length})</h2>${body}</section>`;
}

function channelPreview(channel: ChannelPreview, title: string): SafeHtml {
  const delay =
    channel.afterMs > 0 ? html` <span class="meta">after ${Math.round(channel.afterMs / 1000)} s</span>` : '';
  const heading = html`<h4>${channel.kind}${delay} <span class="status-${channel.status}">${channel.status}</span></h4>`;
  if (channel.status === 'skipped') return html`<div class="channel">${heading}<p>${channel.reason}</p></div>`;
  if (channel.status === 'error')
    return html`<div class="channel">${heading}<pre class="issues">${channel.error}</pre></div>`;
  const content = channel.content as Record<string, unknown>;
  if ((channel.kind as string) === 'email' && typeof content === 'object' && content !== null) {
    const htmlBody = typeof content.html === 'string' ? content.html : undefined;
    const text = typeof content.text === 'string' ? content.text : undefined;
    return html`<div class="channel" data-channel="email">${heading}<p><strong>${String(content.subject ?? '')}</strong></p>
      ${emailBody(htmlBody, text ?? (htmlBody === undefined ? undefined : '(derived from the HTML by the email channel)'), `Preview: ${title}`)}</div>`;
  }
  return html`<div class="channel" data-channel="${channel.kind}">${heading}<pre>${JSON.stringify(content, null, 2)}</pre></div>`;
}

function previewsSection(
  previews: readonly NotificationPreview[],
  without: readonly AnyNotificationDefinition[],
): SafeHtml {
  const body = previews.map(
    (preview) => html`<article data-kind="preview" id="preview-${preview.type}-${preview.name}">
      <h3><code>${preview.type}</code> · ${preview.name}${preview.critical ? html` <span class="meta">critical</span>` : ''}</h3>
      <details><summary class="meta">payload</summary><pre>${JSON.stringify(preview.payload, null, 2)}</pre></details>
      ${
        preview.issues === undefined
          ? preview.channels.map((channel) =>
              channelPreview(channel, `${preview.type} ${preview.name} ${channel.kind}`),
            )
          : html`<p class="issues">The schema refuses this sample payload:</p><ul class="issues">${preview.issues.map(
              (issue) => html`<li>${issue.path}: ${issue.message}</li>`,
            )}</ul>`
      }
    </article>`,
  );
  const missing =
    without.length === 0
      ? ''
      : html`<p class="meta">No <code>previews</code> declared: ${without.map((definition) => html`<code>${definition.type}</code> `)}</p>`;
  return html`<section id="previews"><h2>Previews (${previews.length})</h2>${missing}${
    previews.length === 0 && without.length === 0 ? html`<p class="empty">No definitions given.</p>` : body
  }</section>`;
}

export function renderDevtoolsPage(data: DevtoolsPageData): string {
  const api = `${data.basePath}/api`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Herald devtools</title><style>${unsafeHtml(styles)}</style></head>
<body><header><h1>Herald devtools</h1>
<nav><a href="#mail">Email (${count(data.mail)})</a><a href="#whatsapp">WhatsApp (${count(data.whatsapp)})</a><a href="#push">Push (${count(data.push)})</a><a href="#notifications">Notifications (${data.notifications.length})</a><a href="#previews">Previews (${data.previews.length})</a></nav>
<span class="meta">JSON: <a href="${api}/mail">mail</a> · <a href="${api}/whatsapp">whatsapp</a> · <a href="${api}/push">push</a> · <a href="${api}/notifications">notifications</a> · <a href="${api}/previews">previews</a> · reload to refresh</span>
</header><main>
${mailSection(data.mail)}${whatsappSection(data.whatsapp)}${pushSection(data.push)}${notificationsSection(data.notifications)}${previewsSection(data.previews, data.withoutPreviews)}
</main></body></html>`.value;
}
