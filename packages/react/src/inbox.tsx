// <Inbox />: the <herald-inbox> element with React props and events. The element registers itself after mount,
// so rendering on the server only writes the tag.

import {
  defineHeraldInbox,
  type HeraldInboxElement,
  type HeraldInboxFormatters,
  type HeraldInboxNavigateDetail,
  type HeraldInboxRenderItem,
  type HeraldInboxToggleDetail,
  type LoadInboxPage,
} from '@herald/inbox-element';
import type { HeraldClient } from '@herald/websocket/client';
import { type CSSProperties, createElement, type ReactElement, type ReactNode, useEffect, useRef } from 'react';
import { useOptionalHeraldClient } from './herald-provider';

export interface InboxProps {
  /** Default: the `<HeraldProvider>`'s client. Without either, the element makes one from `url` and `tokenUrl`. */
  client?: HeraldClient;
  url?: string;
  tokenUrl?: string;
  /** The HTTP inbox API's base path, for items older than the live snapshot. */
  apiUrl?: string;
  lang?: string;
  theme?: 'light' | 'dark' | 'auto';
  formatters?: HeraldInboxFormatters;
  renderItem?: HeraldInboxRenderItem;
  loadPage?: LoadInboxPage;
  /** An item was clicked; call `event.preventDefault()` to route yourself instead of following `item.url`. */
  onNavigate?: (event: CustomEvent<HeraldInboxNavigateDetail>) => void;
  onToggle?: (event: CustomEvent<HeraldInboxToggleDetail>) => void;
  id?: string;
  className?: string;
  style?: CSSProperties;
  /** Slotted content: `<div slot="empty">…</div>`, `<div slot="footer">…</div>`. */
  children?: ReactNode;
}

export function Inbox(props: InboxProps): ReactElement {
  const { client: given, url, tokenUrl, apiUrl, lang, theme, formatters, renderItem, loadPage } = props;
  const contextClient = useOptionalHeraldClient();
  const client = given ?? contextClient;
  const ref = useRef<HeraldInboxElement>(null);
  const handlers = useRef({ onNavigate: props.onNavigate, onToggle: props.onToggle });
  handlers.current = { onNavigate: props.onNavigate, onToggle: props.onToggle };

  // Registered before any property is set: a property set on an element not yet upgraded would hide the class's.
  useEffect(() => {
    defineHeraldInbox();
    const element = ref.current;
    if (!element) return;
    const navigate = (event: Event): void =>
      handlers.current.onNavigate?.(event as CustomEvent<HeraldInboxNavigateDetail>);
    const toggle = (event: Event): void => handlers.current.onToggle?.(event as CustomEvent<HeraldInboxToggleDetail>);
    element.addEventListener('herald-navigate', navigate);
    element.addEventListener('herald-toggle', toggle);
    return () => {
      element.removeEventListener('herald-navigate', navigate);
      element.removeEventListener('herald-toggle', toggle);
    };
  }, []);

  useEffect(() => {
    const element = ref.current;
    if (!element) return;
    if (client) element.client = client;
    element.formatters = formatters;
    element.renderItem = renderItem;
    if (loadPage !== undefined || element.loadPage !== undefined) element.loadPage = loadPage;
  }, [client, formatters, renderItem, loadPage]);

  return createElement(
    'herald-inbox',
    {
      ref,
      id: props.id,
      className: props.className,
      style: props.style,
      url: client ? undefined : url,
      'token-url': tokenUrl,
      'api-url': apiUrl,
      lang,
      theme,
      suppressHydrationWarning: true,
    },
    props.children,
  );
}
