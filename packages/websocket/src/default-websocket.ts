// The WebSocket the client uses when none is passed: the global one where the runtime has it (browsers, Node 22
// and later), else the `ws` package — loaded only then, so browser bundles never run it (its browser entry is a
// stub that throws).

import type { WebSocketConstructorLike } from './herald-client-types';

export async function defaultWebSocket(): Promise<WebSocketConstructorLike> {
  const global = (globalThis as { WebSocket?: WebSocketConstructorLike }).WebSocket;
  if (global) return global;
  let loaded: { WebSocket?: WebSocketConstructorLike; default?: WebSocketConstructorLike };
  try {
    loaded = (await import('ws')) as typeof loaded;
  } catch (error) {
    throw new Error('No WebSocket in this runtime and the `ws` package did not load: pass `WebSocket`', {
      cause: error,
    });
  }
  const found = loaded.WebSocket ?? loaded.default;
  if (!found) throw new Error('The `ws` package has no WebSocket export: pass `WebSocket`');
  return found;
}
