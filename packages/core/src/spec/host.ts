// What a channel may use of the Herald it is registered with (`Channel.attach`): the inbox API and its
// events, not the whole facade. A Herald instance is a HeraldHost.

import type { HeraldEventName, HeraldEvents } from '../events';
import type { InboxApi } from '../herald-types';

export interface HeraldHost {
  readonly inbox: InboxApi;
  on<E extends HeraldEventName>(event: E, listener: (event: HeraldEvents[E]) => void): unknown;
  off<E extends HeraldEventName>(event: E, listener: (event: HeraldEvents[E]) => void): unknown;
}
