// <herald-inbox>: a bell with the unseen count and a panel listing the user's notifications, on Herald's realtime
// client. No framework: a custom element with a shadow root and a keyed list, so it adds little to a page beside
// the client it needs anyway.

import type { InboxItem } from '@herald/core';
import {
  createHeraldClient,
  type HeraldClient,
  type HeraldClientSnapshot,
  type InboxChange,
} from '@herald/websocket/client';
import { createInboxFeed, type InboxFeed, type InboxPageResult, type LoadInboxPage } from './inbox-feed';
import { inboxStyles } from './inbox-styles';
import { type HeraldInboxFormatters, type HeraldInboxTexts, relativeTime, textsFor } from './inbox-texts';

/** What `renderItem` is given beside the item. */
export interface HeraldInboxRenderContext {
  lang: string;
  /** The item's time, formatted. */
  time: string;
  texts: HeraldInboxTexts;
}

/** Renders the content of one item's button: phrasing content only (text, spans, images), no interactive elements. */
export type HeraldInboxRenderItem = (item: InboxItem, context: HeraldInboxRenderContext) => Node;

/** `herald-navigate`: an item was clicked. Cancel it (`preventDefault()`) to route in a single-page app. */
export interface HeraldInboxNavigateDetail {
  item: InboxItem;
  /** The item's `url`, when it has one: followed unless the event is cancelled. */
  url: string | undefined;
}

/** `herald-toggle`: the panel opened or closed. */
export interface HeraldInboxToggleDetail {
  open: boolean;
}

const BELL_ICON =
  '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false"><path d="M6 8a6 6 0 1 1 12 0c0 7 3 9 3 9H3s3-2 3-9"/><path d="M10.3 21a1.94 1.94 0 0 0 3.4 0"/></svg>';
const CHECK_ICON =
  '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false"><path d="M20 6 9 17l-5-5"/></svg>';
const DOT_ICON =
  '<svg viewBox="0 0 24 24" aria-hidden="true" focusable="false"><circle cx="12" cy="12" r="5" fill="currentColor"/></svg>';
const ARCHIVE_ICON =
  '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false"><rect x="3" y="4" width="18" height="4" rx="1"/><path d="M5 8v11a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1V8M10 12h4"/></svg>';

/** Items per page read through the HTTP inbox API. */
const PAGE_SIZE = 50;
/** Items the element's own client keeps live. */
const CLIENT_ITEMS = 100;

let instances = 0;

// Server rendering imports this module too: it must load where there is no DOM.
const ElementBase: typeof HTMLElement =
  typeof HTMLElement === 'undefined' ? (class {} as unknown as typeof HTMLElement) : HTMLElement;

/** A token endpoint may answer `{ "token": "…" }` or the token as plain text. */
async function fetchToken(tokenUrl: string): Promise<string> {
  const response = await fetch(tokenUrl, { credentials: 'same-origin', headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`The token endpoint answered ${response.status}`);
  const text = await response.text();
  try {
    const parsed = JSON.parse(text) as unknown;
    if (typeof parsed === 'string') return parsed;
    if (parsed && typeof (parsed as { token?: unknown }).token === 'string') return (parsed as { token: string }).token;
  } catch {
    // Plain text.
  }
  return text.trim();
}

function element<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className: string,
  attributes: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) node.className = className;
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  return node;
}

interface Row {
  li: HTMLLIElement;
  main: HTMLButtonElement;
  content: HTMLSpanElement;
  read: HTMLButtonElement;
  archive: HTMLButtonElement;
  /** What the row shows, to skip rewriting unchanged rows. */
  key: string;
}

export class HeraldInboxElement extends ElementBase {
  static readonly observedAttributes = ['url', 'token-url', 'api-url', 'lang', 'theme'];

  #client: HeraldClient | undefined;
  /** The client this element made (from `url`): it closes it when removed. */
  #ownClient: HeraldClient | undefined;
  #unsubscribe: (() => void) | undefined;
  #snapshot: HeraldClientSnapshot | undefined;
  #feed: InboxFeed = createInboxFeed(undefined);
  #token: Promise<string> | undefined;
  #formatters: HeraldInboxFormatters = {};
  #renderItem: HeraldInboxRenderItem | undefined;
  #loadPage: LoadInboxPage | undefined;
  #open = false;
  #filter: 'all' | 'unread' = 'all';
  #isOffline = false;
  #loadFailed = false;
  #rows = new Map<string, Row>();
  #focusedId: string | undefined;
  #observer: IntersectionObserver | undefined;
  #clock: ReturnType<typeof setInterval> | undefined;
  #built = false;
  #id = `herald-inbox-${++instances}`;

  // Parts, built once.
  #root!: ShadowRoot;
  #bell!: HTMLButtonElement;
  #badge!: HTMLSpanElement;
  #panel!: HTMLDivElement;
  #title!: HTMLHeadingElement;
  #markAll!: HTMLButtonElement;
  #tabAll!: HTMLButtonElement;
  #tabUnread!: HTMLButtonElement;
  #status!: HTMLParagraphElement;
  #scroller!: HTMLDivElement;
  #list!: HTMLUListElement;
  #empty!: HTMLDivElement;
  #emptyText!: HTMLSpanElement;
  #more!: HTMLDivElement;

  /** The realtime client to use. Without one, the element makes its own from `url` and `token-url`. */
  get client(): HeraldClient | undefined {
    return this.#client;
  }

  set client(client: HeraldClient | undefined) {
    if (client === this.#client) return;
    this.#closeOwnClient();
    this.#useClient(client);
  }

  get formatters(): HeraldInboxFormatters {
    return this.#formatters;
  }

  /** Texts and the date format (see `HeraldInboxFormatters`). */
  set formatters(formatters: HeraldInboxFormatters | undefined) {
    this.#formatters = formatters ?? {};
    this.#rerenderAll();
  }

  get renderItem(): HeraldInboxRenderItem | undefined {
    return this.#renderItem;
  }

  /** Renders each item's content instead of the built-in title, body and time. */
  set renderItem(render: HeraldInboxRenderItem | undefined) {
    this.#renderItem = render;
    this.#rerenderAll();
  }

  get loadPage(): LoadInboxPage | undefined {
    return this.#loadPage;
  }

  /** Reads older items (infinite scroll). Defaults to `GET <api-url>/notifications` with the token as bearer. */
  set loadPage(load: LoadInboxPage | undefined) {
    this.#loadPage = load;
    this.#resetFeed();
  }

  get open(): boolean {
    return this.#open;
  }

  set open(value: boolean) {
    if (value) this.show();
    else this.hide();
  }

  /** The language of texts and dates: the `lang` attribute, else the nearest ancestor's, else the browser's. */
  get language(): string {
    const own = this.closest('[lang]')?.getAttribute('lang');
    return own || (typeof navigator === 'undefined' ? 'en' : navigator.language) || 'en';
  }

  connectedCallback(): void {
    this.#build();
    if (!this.#client) this.#useClient(this.#makeClient());
    else if (!this.#unsubscribe) this.#useClient(this.#client);
    window.addEventListener('offline', this.#onOffline);
    window.addEventListener('online', this.#onOnline);
    document.addEventListener('pointerdown', this.#onOutside, true);
    this.#isOffline = navigator.onLine === false;
    this.#render();
  }

  disconnectedCallback(): void {
    window.removeEventListener('offline', this.#onOffline);
    window.removeEventListener('online', this.#onOnline);
    document.removeEventListener('pointerdown', this.#onOutside, true);
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#observer?.disconnect();
    this.#stopClock();
    this.#closeOwnClient();
  }

  attributeChangedCallback(name: string, previous: string | null, next: string | null): void {
    if (previous === next || !this.#built) return;
    if (name === 'url' || name === 'token-url') {
      if (this.#ownClient || !this.#client) {
        this.#token = undefined;
        this.#closeOwnClient();
        this.#useClient(this.#makeClient());
      }
      return;
    }
    if (name === 'api-url') {
      this.#resetFeed();
      return;
    }
    if (name === 'lang') this.#rerenderAll();
  }

  /** Opens the panel, marks what it shows seen and moves focus into it. */
  show(): void {
    if (this.#open || !this.#built) return;
    this.#open = true;
    this.#panel.hidden = false;
    this.#bell.setAttribute('aria-expanded', 'true');
    // Nothing unseen, nothing to send: opening and closing the panel costs no frames.
    if ((this.#snapshot?.unseen ?? 0) > 0) this.#client?.markAllSeen();
    this.#feed.update('all', (item) =>
      item.seenAt === undefined ? { ...item, seenAt: new Date().toISOString() } : undefined,
    );
    this.#render();
    this.#startClock();
    this.#observeMore();
    const first = this.#visibleItems()[0];
    this.#focusItem(first?.id) || this.#title.focus();
    this.dispatchEvent(
      new CustomEvent<HeraldInboxToggleDetail>('herald-toggle', {
        detail: { open: true },
        bubbles: true,
        composed: true,
      }),
    );
  }

  /** Closes the panel; `restoreFocus` (default) puts focus back on the bell. */
  hide(restoreFocus = true): void {
    if (!this.#open) return;
    this.#open = false;
    this.#panel.hidden = true;
    this.#bell.setAttribute('aria-expanded', 'false');
    this.#observer?.disconnect();
    this.#stopClock();
    if (restoreFocus) this.#bell.focus();
    this.dispatchEvent(
      new CustomEvent<HeraldInboxToggleDetail>('herald-toggle', {
        detail: { open: false },
        bubbles: true,
        composed: true,
      }),
    );
  }

  toggle(): void {
    if (this.#open) this.hide();
    else this.show();
  }

  // Setup.

  #build(): void {
    if (this.#built) return;
    this.#built = true;
    this.#root = this.attachShadow({ mode: 'open', delegatesFocus: false });
    const style = document.createElement('style');
    style.textContent = inboxStyles;

    this.#bell = element('button', 'bell', {
      type: 'button',
      part: 'bell',
      'aria-haspopup': 'dialog',
      'aria-expanded': 'false',
      'aria-controls': `${this.#id}-panel`,
    });
    this.#bell.innerHTML = BELL_ICON;
    this.#badge = element('span', 'badge', { part: 'badge', 'aria-hidden': 'true' });
    this.#bell.append(this.#badge);
    this.#bell.addEventListener('click', () => this.toggle());

    this.#panel = element('div', 'panel', {
      part: 'panel',
      role: 'dialog',
      id: `${this.#id}-panel`,
      'aria-labelledby': `${this.#id}-title`,
    });
    this.#panel.hidden = true;
    this.#panel.addEventListener('keydown', this.#onKeydown);

    const header = element('div', 'header', { part: 'header' });
    this.#title = element('h2', 'title', { id: `${this.#id}-title`, tabindex: '-1' });
    this.#markAll = element('button', 'link', { type: 'button', part: 'mark-all' });
    this.#markAll.addEventListener('click', () => this.#markAllRead());
    header.append(this.#title, this.#markAll);

    const tabs = element('div', 'tabs', { part: 'tabs', role: 'group' });
    this.#tabAll = element('button', 'tab', { type: 'button', part: 'tab', 'aria-pressed': 'true' });
    this.#tabUnread = element('button', 'tab', { type: 'button', part: 'tab', 'aria-pressed': 'false' });
    this.#tabAll.addEventListener('click', () => this.#setFilter('all'));
    this.#tabUnread.addEventListener('click', () => this.#setFilter('unread'));
    tabs.append(this.#tabAll, this.#tabUnread);

    this.#status = element('p', 'status', { part: 'status', role: 'status' });
    this.#scroller = element('div', 'scroller', { part: 'scroller' });
    this.#list = element('ul', 'list', { part: 'list', role: 'list' });
    this.#list.addEventListener('click', this.#onListClick);
    this.#empty = element('div', 'empty', { part: 'empty' });
    this.#emptyText = element('span', '');
    const emptySlot = element('slot', '', { name: 'empty' });
    emptySlot.append(this.#emptyText);
    this.#empty.append(emptySlot);
    this.#more = element('div', 'more', { part: 'more', 'aria-live': 'polite' });
    this.#scroller.append(this.#list, this.#empty, this.#more);
    const footer = element('slot', '', { name: 'footer' });
    this.#panel.append(header, tabs, this.#status, this.#scroller, footer);
    this.#root.append(style, this.#bell, this.#panel);
  }

  #makeClient(): HeraldClient | undefined {
    const url = this.getAttribute('url');
    if (!url || typeof window === 'undefined') return undefined;
    const tokenUrl = this.getAttribute('token-url');
    const client = createHeraldClient(
      tokenUrl
        ? {
            url,
            maxItems: CLIENT_ITEMS,
            getToken: ({ wasRefused }) => {
              if (wasRefused) this.#token = undefined;
              return this.#currentToken();
            },
          }
        : { url, maxItems: CLIENT_ITEMS },
    );
    this.#ownClient = client;
    return client;
  }

  /** The token from `token-url`, fetched once and shared by the socket and the HTTP pages until refused. */
  #currentToken(): Promise<string> {
    const tokenUrl = this.getAttribute('token-url');
    if (!tokenUrl) return Promise.reject(new Error('No token-url'));
    this.#token ??= fetchToken(tokenUrl).catch((error: unknown) => {
      this.#token = undefined;
      throw error;
    });
    return this.#token;
  }

  #useClient(client: HeraldClient | undefined): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
    this.#client = client;
    this.#snapshot = client?.getSnapshot();
    if (client) {
      const unsubscribeSnapshot = client.subscribe(() => {
        const next = client.getSnapshot();
        const previous = this.#snapshot;
        this.#snapshot = next;
        if (previous && previous.items !== next.items) {
          this.#feed.snapshotChanged(previous.items, next.items, CLIENT_ITEMS);
        }
        this.#render();
      });
      // Changes made in another tab reach the items this tab loaded through the HTTP API too, not only the snapshot's.
      const unsubscribeChanges = client.on('inboxChange', (change) => {
        this.#applyChange(change);
        this.#render();
      });
      this.#unsubscribe = () => {
        unsubscribeSnapshot();
        unsubscribeChanges();
      };
    }
    this.#resetFeed();
  }

  #applyChange(change: InboxChange): void {
    const at = new Date().toISOString();
    const upTo =
      'upToPosition' in change ? (change.upToPosition ?? Number.POSITIVE_INFINITY) : Number.POSITIVE_INFINITY;
    const type = 'notificationType' in change ? change.notificationType : undefined;
    const covers = (item: InboxItem): boolean => item.position <= upTo && (type === undefined || item.type === type);
    switch (change.type) {
      case 'read':
        this.#feed.update(change.all ? 'all' : change.ids, (item) =>
          item.readAt === undefined && (!change.all || covers(item))
            ? { ...item, readAt: at, seenAt: item.seenAt ?? at }
            : undefined,
        );
        return;
      case 'unreadItems':
        this.#feed.update(change.ids, (item) => {
          const { readAt: _readAt, ...rest } = item;
          return rest;
        });
        return;
      case 'seen':
        this.#feed.update(change.all ? 'all' : change.ids, (item) =>
          item.seenAt === undefined && (!change.all || covers(item)) ? { ...item, seenAt: at } : undefined,
        );
        return;
      case 'archived':
        if (!change.all) this.#feed.archived(change.ids);
        else {
          const archived: string[] = [];
          this.#feed.update('all', (item) => {
            if (item.readAt !== undefined && covers(item)) archived.push(item.id);
            return undefined;
          });
          this.#feed.archived(archived);
        }
        return;
    }
  }

  #closeOwnClient(): void {
    const own = this.#ownClient;
    if (!own) return;
    this.#ownClient = undefined;
    if (this.#client === own) {
      this.#unsubscribe?.();
      this.#unsubscribe = undefined;
      this.#client = undefined;
      this.#snapshot = undefined;
    }
    void own.close();
  }

  #resetFeed(): void {
    this.#feed = createInboxFeed(this.#pageLoader());
    this.#loadFailed = false;
    for (const row of this.#rows.values()) row.li.remove();
    this.#rows.clear();
    if (this.#built) {
      this.#render();
      if (this.#open) this.#observeMore();
    }
  }

  #pageLoader(): LoadInboxPage | undefined {
    if (this.#loadPage) return this.#loadPage;
    const apiUrl = this.getAttribute('api-url');
    if (!apiUrl) return undefined;
    return async (cursor) => {
      const base = apiUrl.replace(/\/+$/, '');
      const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
      if (cursor !== undefined) query.set('cursor', cursor);
      const headers: Record<string, string> = { accept: 'application/json' };
      if (this.getAttribute('token-url')) headers.authorization = `Bearer ${await this.#currentToken()}`;
      const response = await fetch(`${base}/notifications?${query}`, { headers, credentials: 'same-origin' });
      if (!response.ok) throw new Error(`The inbox API answered ${response.status}`);
      return (await response.json()) as InboxPageResult;
    };
  }

  // Events.

  // The browser knows it is offline before any socket times out: stop at once, and come back as soon as it is
  // online again (resuming after the client's position, so nothing is missed or shown twice).
  readonly #onOffline = (): void => {
    this.#isOffline = true;
    void this.#client?.disconnect();
    this.#render();
  };

  readonly #onOnline = (): void => {
    this.#isOffline = false;
    const status = this.#client?.getSnapshot().status;
    if (status !== 'closed') this.#client?.connect();
    this.#render();
  };

  readonly #onOutside = (event: Event): void => {
    if (this.#open && !event.composedPath().includes(this)) this.hide(false);
  };

  readonly #onKeydown = (event: KeyboardEvent): void => {
    if (event.key === 'Escape') {
      event.preventDefault();
      this.hide();
      return;
    }
    if (!['ArrowDown', 'ArrowUp', 'Home', 'End'].includes(event.key)) return;
    const items = this.#visibleItems();
    if (items.length === 0) return;
    const current = items.findIndex((item) => item.id === this.#focusedId);
    let index = current;
    if (event.key === 'ArrowDown') index = Math.min(items.length - 1, current + 1);
    else if (event.key === 'ArrowUp') index = Math.max(0, current - 1);
    else if (event.key === 'Home') index = 0;
    else index = items.length - 1;
    event.preventDefault();
    this.#focusItem(items[index]?.id);
  };

  readonly #onListClick = (event: Event): void => {
    const target = event.target as Element | null;
    const button = target?.closest('button');
    const li = target?.closest('li');
    const id = li?.dataset.id;
    if (!button || !id) return;
    const item = this.#visibleItems().find((each) => each.id === id);
    if (!item) return;
    this.#focusedId = id;
    const action = button.dataset.action;
    if (action === 'read') {
      if (item.readAt === undefined) this.#markRead(item);
      else this.#markUnread(item);
    } else if (action === 'archive') {
      this.#archive(item);
    } else {
      this.#follow(item);
    }
  };

  #follow(item: InboxItem): void {
    if (item.readAt === undefined) this.#markRead(item);
    const navigate = new CustomEvent<HeraldInboxNavigateDetail>('herald-navigate', {
      detail: { item, url: item.url },
      bubbles: true,
      composed: true,
      cancelable: true,
    });
    if (this.dispatchEvent(navigate) && item.url) window.location.assign(item.url);
  }

  #markRead(item: InboxItem): void {
    const at = new Date().toISOString();
    this.#feed.update([item.id], (each) => ({ ...each, readAt: at, seenAt: each.seenAt ?? at }));
    this.#client?.markRead(item.id);
    this.#render();
  }

  #markUnread(item: InboxItem): void {
    this.#feed.update([item.id], (each) => {
      const { readAt: _readAt, ...rest } = each;
      return rest;
    });
    this.#client?.markUnread(item.id);
    this.#render();
  }

  #archive(item: InboxItem): void {
    const items = this.#visibleItems();
    const index = items.findIndex((each) => each.id === item.id);
    this.#feed.archived([item.id]);
    this.#client?.archive(item.id);
    this.#render();
    // Focus moves to the neighbour, not back to the document.
    const rest = this.#visibleItems();
    if (!this.#focusItem(rest[Math.min(index, rest.length - 1)]?.id)) this.#title.focus();
  }

  #markAllRead(): void {
    const upTo = this.#snapshot?.lastPosition ?? Number.POSITIVE_INFINITY;
    const at = new Date().toISOString();
    this.#feed.update('all', (item) =>
      item.readAt === undefined && item.position <= upTo
        ? { ...item, readAt: at, seenAt: item.seenAt ?? at }
        : undefined,
    );
    this.#client?.markAllRead();
    this.#render();
  }

  #setFilter(filter: 'all' | 'unread'): void {
    this.#filter = filter;
    this.#render();
    this.#observeMore();
  }

  // Infinite scroll: a sentinel below the list loads the next page while it is in view.

  #observeMore(): void {
    this.#observer?.disconnect();
    if (!this.#open || !this.#feed.hasMore || typeof IntersectionObserver === 'undefined') return;
    this.#observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((entry) => entry.isIntersecting)) void this.#loadMore();
      },
      { root: this.#scroller, rootMargin: '0px 0px 120px 0px' },
    );
    this.#observer.observe(this.#more);
  }

  async #loadMore(): Promise<void> {
    if (this.#feed.isLoading || !this.#feed.hasMore) return;
    this.#loadFailed = false;
    const loading = this.#feed.loadMore();
    this.#render();
    try {
      await loading;
    } catch {
      this.#loadFailed = true;
    }
    this.#render();
    // Still in view (a short page, or the unread filter hid most of it): the observer will not fire again by itself.
    if (this.#open && this.#feed.hasMore && !this.#loadFailed) this.#observeMore();
  }

  #startClock(): void {
    this.#stopClock();
    this.#clock = setInterval(() => this.#rerenderAll(), 60_000);
  }

  #stopClock(): void {
    if (this.#clock !== undefined) clearInterval(this.#clock);
    this.#clock = undefined;
  }

  // Rendering.

  #texts(): HeraldInboxTexts {
    return textsFor(this.language, this.#formatters.texts);
  }

  #visibleItems(): InboxItem[] {
    const items = this.#feed.items(this.#snapshot?.items ?? []);
    return this.#filter === 'unread' ? items.filter((item) => item.readAt === undefined) : items;
  }

  #focusItem(id: string | undefined): boolean {
    if (id === undefined) return false;
    const row = this.#rows.get(id);
    if (!row) return false;
    this.#focusedId = id;
    for (const [rowId, each] of this.#rows) each.main.tabIndex = rowId === id ? 0 : -1;
    row.main.focus();
    return true;
  }

  #rerenderAll(): void {
    for (const row of this.#rows.values()) row.key = '';
    if (this.#built) this.#render();
  }

  #render(): void {
    if (!this.#built) return;
    const texts = this.#texts();
    const snapshot = this.#snapshot;
    const unseen = snapshot?.unseen ?? 0;
    this.#badge.textContent = unseen > 99 ? '99+' : String(unseen);
    this.#badge.hidden = unseen === 0;
    this.#bell.setAttribute('aria-label', texts.bellLabel(unseen));
    this.#title.textContent = texts.title;
    this.#markAll.textContent = texts.markAllRead;
    this.#markAll.disabled = (snapshot?.unread.total ?? 0) === 0 && !this.#visibleItems().some((item) => !item.readAt);
    this.#tabAll.textContent = texts.all;
    this.#tabUnread.textContent = texts.unread;
    this.#tabAll.setAttribute('aria-pressed', String(this.#filter === 'all'));
    this.#tabUnread.setAttribute('aria-pressed', String(this.#filter === 'unread'));

    const status = snapshot?.status;
    const state =
      this.#isOffline || status === 'disconnected' || status === 'closed'
        ? 'offline'
        : status === 'unauthorized'
          ? 'unauthorized'
          : status === 'connecting' || status === 'reconnecting'
            ? 'reconnecting'
            : 'online';
    this.setAttribute('connection', state);
    this.#status.hidden = state === 'online';
    this.#status.dataset.state = state;
    this.#status.textContent =
      state === 'offline'
        ? texts.offline
        : state === 'unauthorized'
          ? texts.signedOut
          : state === 'reconnecting'
            ? texts.reconnecting
            : '';

    if (!this.#open) return;
    const items = this.#visibleItems();
    this.#renderList(items, texts);
    this.#empty.hidden = items.length > 0 || this.#feed.isLoading;
    this.#emptyText.textContent = this.#filter === 'unread' ? texts.emptyUnread : texts.empty;
    this.#more.textContent = this.#feed.isLoading ? texts.loading : this.#loadFailed ? texts.loadFailed : '';
  }

  #renderList(items: readonly InboxItem[], texts: HeraldInboxTexts): void {
    const lang = this.language;
    const now = new Date();
    const wanted = new Set(items.map((item) => item.id));
    for (const [id, row] of this.#rows) {
      if (wanted.has(id)) continue;
      row.li.remove();
      this.#rows.delete(id);
    }
    if (this.#focusedId === undefined || !wanted.has(this.#focusedId)) this.#focusedId = items[0]?.id;
    let previous: HTMLLIElement | undefined;
    for (const item of items) {
      let row = this.#rows.get(item.id);
      if (!row) {
        row = this.#createRow(item.id);
        this.#rows.set(item.id, row);
      }
      this.#updateRow(row, item, texts, lang, now);
      const expected = previous ? previous.nextSibling : this.#list.firstChild;
      if (expected !== row.li) this.#list.insertBefore(row.li, expected);
      previous = row.li;
    }
  }

  #createRow(id: string): Row {
    const li = element('li', 'item', { part: 'item' });
    li.dataset.id = id;
    const main = element('button', 'main', { type: 'button', part: 'item-button' });
    main.tabIndex = -1;
    const dot = element('span', 'dot', { 'aria-hidden': 'true' });
    const content = element('span', 'text');
    main.append(dot, content);
    const actions = element('span', 'actions');
    const read = element('button', 'action', { type: 'button', part: 'item-action' });
    read.dataset.action = 'read';
    read.tabIndex = -1;
    const archive = element('button', 'action', { type: 'button', part: 'item-action' });
    archive.dataset.action = 'archive';
    archive.tabIndex = -1;
    archive.innerHTML = ARCHIVE_ICON;
    actions.append(read, archive);
    li.append(main, actions);
    // The focused item's actions join the tab order; the others stay one arrow key away.
    li.addEventListener('focusin', () => {
      this.#focusedId = id;
      for (const [rowId, each] of this.#rows) {
        const active = rowId === id;
        each.main.tabIndex = active ? 0 : -1;
        each.read.tabIndex = active ? 0 : -1;
        each.archive.tabIndex = active ? 0 : -1;
      }
    });
    return { li, main, content, read, archive, key: '' };
  }

  #updateRow(row: Row, item: InboxItem, texts: HeraldInboxTexts, lang: string, now: Date): void {
    const date = new Date(item.createdAt);
    const time = this.#formatters.time ? this.#formatters.time(date, { lang, now }) : relativeTime(date, lang, now);
    const isUnread = item.readAt === undefined;
    const active = item.id === this.#focusedId;
    row.main.tabIndex = active ? 0 : -1;
    row.read.tabIndex = active ? 0 : -1;
    row.archive.tabIndex = active ? 0 : -1;
    const key = `${isUnread}|${time}|${item.title}|${item.body}|${lang}`;
    if (row.key === key) return;
    row.key = key;
    row.li.classList.toggle('unread', isUnread);
    row.li.setAttribute('part', isUnread ? 'item item-unread' : 'item');
    row.content.replaceChildren();
    if (isUnread) {
      const hidden = element('span', 'visually-hidden');
      hidden.textContent = `${texts.unreadItem}: `;
      row.content.append(hidden);
    }
    if (this.#renderItem) {
      row.content.append(this.#renderItem(item, { lang, time, texts }));
    } else {
      const title = element('span', 'item-title');
      title.textContent = item.title;
      row.content.append(title);
      if (item.body) {
        const body = element('span', 'body');
        body.textContent = item.body;
        row.content.append(body);
      }
      const when = element('time', 'time', { datetime: item.createdAt });
      when.textContent = time;
      row.content.append(when);
    }
    const readLabel = `${isUnread ? texts.markRead : texts.markUnread}: ${item.title}`;
    row.read.setAttribute('aria-label', readLabel);
    row.read.title = isUnread ? texts.markRead : texts.markUnread;
    row.read.innerHTML = isUnread ? CHECK_ICON : DOT_ICON;
    row.archive.setAttribute('aria-label', `${texts.archive}: ${item.title}`);
    row.archive.title = texts.archive;
  }
}
