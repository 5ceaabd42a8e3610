// How large a text frame is on the wire, checked without encoding it when its length already decides.

/** Whether `text` takes more than `bytes` bytes as UTF-8. */
export function isLargerThan(text: string, bytes: number): boolean {
  // UTF-8 takes at least one byte and at most three per UTF-16 code unit.
  if (text.length > bytes) return true;
  if (text.length * 3 <= bytes) return false;
  return Buffer.byteLength(text, 'utf8') > bytes;
}
