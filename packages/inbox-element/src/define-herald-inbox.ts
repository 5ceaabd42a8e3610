// Registers the element under a tag name, once; a no-op where there are no custom elements (server rendering).

import { HeraldInboxElement } from './herald-inbox-element';

export function defineHeraldInbox(tagName = 'herald-inbox'): void {
  if (typeof customElements === 'undefined' || customElements.get(tagName)) return;
  // A second tag needs a class of its own: a constructor can back one tag only.
  const definition = customElements.getName?.(HeraldInboxElement)
    ? class extends HeraldInboxElement {}
    : HeraldInboxElement;
  customElements.define(tagName, definition);
}

declare global {
  interface HTMLElementTagNameMap {
    'herald-inbox': HeraldInboxElement;
  }
}
