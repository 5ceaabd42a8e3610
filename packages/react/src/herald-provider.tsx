// The client every hook and <Inbox /> below the provider uses. The host makes the client (once, outside render)
// and owns it: the provider never connects or closes it.

import type { HeraldClient } from '@herald/websocket/client';
import { createContext, type ReactElement, type ReactNode, useContext } from 'react';

const HeraldClientContext = createContext<HeraldClient | undefined>(undefined);

export interface HeraldProviderProps {
  /** From `createHeraldClient(…)`, made once (module scope, or a ref), not on every render. */
  client: HeraldClient;
  children?: ReactNode;
}

export function HeraldProvider({ client, children }: HeraldProviderProps): ReactElement {
  return <HeraldClientContext.Provider value={client}>{children}</HeraldClientContext.Provider>;
}

/** The provider's client, or undefined outside a provider. */
export function useOptionalHeraldClient(): HeraldClient | undefined {
  return useContext(HeraldClientContext);
}

/** The provider's client; throws (naming the fix) outside a `<HeraldProvider>`. */
export function useHeraldClient(): HeraldClient {
  const client = useContext(HeraldClientContext);
  if (!client) {
    throw new Error('Herald hooks need a client: render them inside <HeraldProvider client={createHeraldClient(…)}>');
  }
  return client;
}
