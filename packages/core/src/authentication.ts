// Who a request belongs to: the shape the HTTP inbox API and the WebSocket gateway share, so one
// `authenticate` function of the host serves both.

/** The signed-in user a request belongs to. */
export interface AuthenticatedUser {
  /** The id notifications are addressed to; never empty. */
  userId: string;
}
