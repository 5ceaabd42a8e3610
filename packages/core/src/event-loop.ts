// Long jobs (a fan-out to many recipients, a runner draining a long queue) give the event loop a turn between
// chunks, so the host's own requests, timers and I/O never wait behind them — even when every store call and
// send resolves at once (MemoryStore, test channels), which would otherwise chain microtasks without end.

const schedule: (callback: () => void) => void =
  typeof setImmediate === 'function' ? (callback) => setImmediate(callback) : (callback) => setTimeout(callback, 0);

export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => schedule(resolve));
}

export { schedule as scheduleTurn };
