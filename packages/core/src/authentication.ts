// Who a request belongs to: the shape the HTTP inbox API and the WebSocket gateway share, so one
// `authenticate` function of the host serves both.

/** The signed-in user a request belongs to. */
export interface AuthenticatedUser {
  /** The id notifications are addressed to; never empty. */
  userId: string;
}

/**
 * What `authenticate` may read of a request: its headers and its URL. A fetch `Request` is one, so the HTTP
 * inbox API hands over its request as it is; the WebSocket gateway hands over a view of the upgrade request
 * (with the Node request beside it, for hosts that need more).
 */
export interface AuthenticationRequest {
  /** Read with `headers.get(name)` (case-insensitive): `cookie`, `authorization`, … */
  readonly headers: Headers;
  /** The absolute URL the client asked for, query string included: `https://app.example.com/realtime?token=…`. */
  readonly url: string;
}

/**
 * Returns the signed-in user of a request, or `null` / `undefined` for nobody; sync or async. A function typed
 * `Authenticate` (on the shared view) fits the HTTP inbox API and the WebSocket gateway alike; each of them may
 * also accept functions of a richer request (`Authenticate<Request>` for HTTP).
 */
export type Authenticate<Request extends AuthenticationRequest = AuthenticationRequest> = (
  request: Request,
) => Promise<AuthenticatedUser | null | undefined> | AuthenticatedUser | null | undefined;
