// Starts the helpdesk's web process: the providers' stand-ins (unless named in the environment), Herald, the
// Hono app on @hono/node-server, and the WebSocket gateway on the same server. main.ts and the tests call it.

import type { AddressInfo } from 'node:net';
import type { Clock } from '@herald/core';
import { createDevtoolsHandler } from '@herald/devtools';
import { serve } from '@hono/node-server';
import { createApp } from './app';
import { createHeraldWiring } from './herald';
import { allNotifications } from './notifications';
import { type LocalProviders, startProviders } from './providers';
import { createSessions } from './session';
import { createDesk, type Desk } from './tickets';

export interface HelpdeskOptions {
  port?: number;
  redisUrl?: string | undefined;
  clock?: Clock;
  sessionSecret?: string;
}

export interface Helpdesk {
  url: string;
  desk: Desk;
  providers: LocalProviders;
  wiring: ReturnType<typeof createHeraldWiring>;
  close(): Promise<void>;
}

export async function startHelpdesk(options: HelpdeskOptions = {}): Promise<Helpdesk> {
  const providers = await startProviders();
  const sessions = createSessions(options.sessionSecret);
  const wiring = createHeraldWiring({
    role: 'web',
    providers: providers.settings,
    redisUrl: options.redisUrl,
    authenticate: sessions.authenticate,
    ...(options.clock === undefined ? {} : { clock: options.clock }),
  });
  const { herald, gateway } = wiring;
  const clock = options.clock;
  const desk = createDesk(herald, clock === undefined ? undefined : () => clock.now());
  const devtools =
    process.env.NODE_ENV === 'production'
      ? undefined
      : createDevtoolsHandler({
          herald,
          definitions: [...allNotifications],
          ...(providers.smtp === undefined ? {} : { mail: providers.smtp }),
          ...(providers.whatsapp === undefined ? {} : { whatsapp: providers.whatsapp }),
        });
  const app = createApp({ herald, desk, sessions, devtools });
  const server = serve({ fetch: app.fetch, port: options.port ?? 0, hostname: '127.0.0.1' });
  server.on('upgrade', (request, socket, head) => {
    if (new URL(request.url ?? '/', 'http://localhost').pathname === '/realtime') {
      gateway?.handleUpgrade(request, socket, head);
    } else socket.destroy();
  });
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    desk,
    providers,
    wiring,
    async close() {
      devtools?.close();
      await wiring.close();
      await new Promise<void>((resolve) => {
        if ('closeAllConnections' in server) server.closeAllConnections();
        server.close(() => resolve());
      });
      await providers.close();
    },
  };
}
