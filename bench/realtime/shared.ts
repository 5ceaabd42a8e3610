// Helpers shared by the realtime benches.

import type { AuthenticationRequest } from '@herald/core';
import { extractToken } from '@herald/websocket';

/** `--name value` from the command line, or the fallback. */
export function flag(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index >= 0 ? (process.argv[index + 1] ?? fallback) : fallback;
}

/** Wall-clock ms with sub-ms precision, comparable across processes on one machine. */
export const now = (): number => performance.timeOrigin + performance.now();

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] as number;
}

/** The bench clients' token is `user:<id>`. */
export function authenticateBenchUser(request: AuthenticationRequest): { userId: string } | null {
  const token = extractToken(request);
  return token?.startsWith('user:') ? { userId: token.slice(5) } : null;
}
