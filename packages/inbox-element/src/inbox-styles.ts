// The element's stylesheet. Every colour, size and font is a custom property (`--herald-inbox-*`), set on the host
// so a page overrides any of them. Each colour holds its light and dark value (`light-dark()`); `theme="dark"`, or
// `auto` under a dark colour scheme, picks the dark one.

export const inboxStyles = `
:host {
  color-scheme: light;
  --herald-inbox-font: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  --herald-inbox-accent: light-dark(#2457d6, #7aa2ff);
  --herald-inbox-accent-fg: light-dark(#fff, #0d1117);
  --herald-inbox-bg: light-dark(#fff, #161b22);
  --herald-inbox-fg: light-dark(#1b1f24, #e6edf3);
  --herald-inbox-muted: light-dark(#57606a, #9da7b3);
  --herald-inbox-border: light-dark(#d0d7de, #30363d);
  --herald-inbox-hover: light-dark(#f3f5f8, #1f2630);
  --herald-inbox-unread-bg: light-dark(#eef3ff, #1a2740);
  --herald-inbox-badge-bg: light-dark(#c62828, #f85149);
  --herald-inbox-badge-fg: light-dark(#fff, #0d1117);
  --herald-inbox-radius: 10px;
  --herald-inbox-width: 380px;
  --herald-inbox-max-height: 480px;
  --herald-inbox-shadow: 0 12px 32px light-dark(rgba(27, 31, 36, 0.18), rgba(0, 0, 0, 0.5));
  position: relative;
  display: inline-block;
  font-family: var(--herald-inbox-font);
  color: var(--herald-inbox-fg);
}
:host([theme="dark"]) { color-scheme: dark; }
:host([theme="auto"]) { color-scheme: light dark; }
button { font: inherit; color: inherit; cursor: pointer; }
button:focus-visible { outline: 2px solid var(--herald-inbox-accent); outline-offset: 2px; }
.bell {
  position: relative; display: inline-flex; align-items: center; justify-content: center;
  width: 40px; height: 40px; border-radius: 50%; border: 1px solid transparent;
  background: transparent; color: var(--herald-inbox-fg);
}
.bell:hover { background: var(--herald-inbox-hover); }
.bell svg { width: 22px; height: 22px; }
.badge {
  position: absolute; top: 2px; right: 0; min-width: 18px; height: 18px; padding: 0 5px; box-sizing: border-box;
  border-radius: 9px; background: var(--herald-inbox-badge-bg); color: var(--herald-inbox-badge-fg);
  font-size: 11px; font-weight: 700; line-height: 18px; text-align: center;
}
.badge[hidden], .status[hidden], [hidden] { display: none !important; }
.panel {
  position: absolute; z-index: 1000; top: calc(100% + 8px); right: 0;
  width: var(--herald-inbox-width); max-width: calc(100vw - 16px);
  background: var(--herald-inbox-bg); color: var(--herald-inbox-fg);
  border: 1px solid var(--herald-inbox-border); border-radius: var(--herald-inbox-radius);
  box-shadow: var(--herald-inbox-shadow); overflow: hidden; text-align: start;
}
.header { display: flex; align-items: center; gap: 8px; padding: 12px 14px 8px; }
.title { margin: 0; font-size: 15px; font-weight: 650; flex: 1; }
.title:focus { outline: none; }
.link {
  border: 0; background: transparent; color: var(--herald-inbox-accent); font-size: 13px; padding: 4px 6px;
  border-radius: 6px;
}
.link:hover { background: var(--herald-inbox-hover); }
.link:disabled { color: var(--herald-inbox-muted); cursor: default; }
.tabs { display: flex; gap: 4px; padding: 0 14px 8px; border-bottom: 1px solid var(--herald-inbox-border); }
.tab {
  border: 1px solid var(--herald-inbox-border); background: transparent; border-radius: 999px;
  padding: 3px 10px; font-size: 13px; color: var(--herald-inbox-muted);
}
.tab[aria-pressed="true"] {
  background: var(--herald-inbox-accent); border-color: var(--herald-inbox-accent);
  color: var(--herald-inbox-accent-fg);
}
.status {
  margin: 0; padding: 6px 14px; font-size: 12px; color: var(--herald-inbox-muted);
  border-bottom: 1px solid var(--herald-inbox-border);
}
.status::before {
  content: ""; display: inline-block; width: 8px; height: 8px; margin-inline-end: 6px; border-radius: 50%;
  background: #d29922;
}
.status[data-state="offline"]::before { background: var(--herald-inbox-badge-bg); }
.scroller { max-height: var(--herald-inbox-max-height); overflow-y: auto; overscroll-behavior: contain; }
.list { list-style: none; margin: 0; padding: 0; }
.item { display: flex; align-items: flex-start; border-bottom: 1px solid var(--herald-inbox-border); }
.item:hover { background: var(--herald-inbox-hover); }
.item.unread { background: var(--herald-inbox-unread-bg); }
.main {
  flex: 1; min-width: 0; display: grid; grid-template-columns: 10px 1fr; column-gap: 8px; align-items: baseline;
  padding: 10px 4px 10px 12px; border: 0; background: transparent; text-align: start;
}
.dot { width: 8px; height: 8px; border-radius: 50%; align-self: center; }
.unread .dot { background: var(--herald-inbox-accent); }
.text { min-width: 0; }
.item-title { display: block; font-size: 14px; font-weight: 500; }
.unread .item-title { font-weight: 700; }
.body {
  display: block; margin-top: 2px; font-size: 13px; color: var(--herald-inbox-muted);
  overflow: hidden; text-overflow: ellipsis; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical;
}
.time { display: block; margin-top: 4px; font-size: 12px; color: var(--herald-inbox-muted); }
.actions { display: flex; flex-direction: column; gap: 2px; padding: 8px 8px 8px 0; }
.action {
  width: 28px; height: 28px; display: inline-flex; align-items: center; justify-content: center;
  border: 0; border-radius: 6px; background: transparent; color: var(--herald-inbox-muted);
}
.action:hover { background: var(--herald-inbox-border); color: var(--herald-inbox-fg); }
.action svg { width: 16px; height: 16px; }
.empty { padding: 36px 16px; text-align: center; color: var(--herald-inbox-muted); font-size: 14px; }
.more { padding: 10px; text-align: center; font-size: 12px; color: var(--herald-inbox-muted); min-height: 1px; }
.more:empty { padding: 0; }
.visually-hidden {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden;
  clip: rect(0, 0, 0, 0); white-space: nowrap; border: 0;
}
`;
