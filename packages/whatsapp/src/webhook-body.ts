// Reads a webhook body with a size limit: the signature can only be checked after reading, so an unsigned
// flood must not be able to make the handler buffer without bound.

/** Default for `maxBodyBytes`: provider status batches are a few kilobytes. */
export const DEFAULT_MAX_WEBHOOK_BODY_BYTES = 1024 * 1024;

/** The raw body bytes, or `undefined` when it is larger than `limit`. */
export async function readBodyLimited(request: Request, limit: number): Promise<Uint8Array | undefined> {
  const declared = Number(request.headers.get('content-length') ?? Number.NaN);
  if (Number.isFinite(declared) && declared > limit) return undefined;
  if (request.body === null) return new Uint8Array(0);
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel();
      return undefined;
    }
    chunks.push(value);
  }
  const body = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}
