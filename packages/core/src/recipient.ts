/** Someone a notification is for. Only `id` is required; channels read the fields they need. */
export interface Recipient {
  id: string;
  email?: string;
  /** E.164, e.g. `+14155550123`. */
  phone?: string;
  name?: string;
  /** BCP 47, e.g. `en-GB`; passed to content builders. */
  locale?: string;
  /** IANA time zone, e.g. `America/New_York`, for quiet hours and calendar digests (wins over preferences'). */
  timeZone?: string;
  /** Push tokens given inline; tokens registered through `herald.devices` are merged in. */
  pushTokens?: string[];
  /** Anything else the host wants its content builders to see. */
  data?: Record<string, unknown>;
}
