// MemoryStore's outbox: dispatching notifications ordered by when their lease ends, so a relay takes the
// oldest lease first in O(k log n) for k taken, whatever the number of dispatching notifications.

interface Lease {
  readonly id: string;
  readonly until: number;
  /** Breaks ties between equal lease ends: the earlier lease comes first. */
  readonly order: number;
}

/**
 * A min-heap of leases with lazy removal: renewing or ending a lease only replaces the notification's entry in
 * `#current`; the old heap entry is dropped when it reaches the top. The heap is rebuilt from `#current` once stale
 * entries outnumber live ones, so a process that never takes leases does not keep one entry per notification.
 */
export class LeaseQueue {
  readonly #heap: Lease[] = [];
  readonly #current = new Map<string, Lease>();
  #order = 0;

  /** Leases the notification until `until` (epoch ms), replacing its earlier lease. */
  set(id: string, until: number): void {
    const lease: Lease = { id, until, order: this.#order++ };
    this.#current.set(id, lease);
    this.#push(lease);
    if (this.#heap.length > 64 && this.#heap.length > 2 * this.#current.size) this.#rebuild();
  }

  /** Forgets the notification: it is no longer in the outbox. */
  delete(id: string): void {
    this.#current.delete(id);
  }

  /**
   * Removes and returns the ids of up to `limit` leases that ended before `now`, oldest first. The caller leases
   * each again with `set` (after this returns, so a lease ending before `now` cannot be taken twice in one call).
   */
  takeEnded(now: number, limit: number): string[] {
    const taken: string[] = [];
    while (taken.length < limit) {
      const top = this.#heap[0];
      if (top === undefined || top.until >= now) break;
      this.#pop();
      if (this.#current.get(top.id) !== top) continue;
      this.#current.delete(top.id);
      taken.push(top.id);
    }
    return taken;
  }

  #rebuild(): void {
    this.#heap.length = 0;
    for (const lease of this.#current.values()) this.#push(lease);
  }

  #push(lease: Lease): void {
    const heap = this.#heap;
    heap.push(lease);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >>> 1;
      if (!before(lease, heap[parent]!)) break;
      heap[index] = heap[parent]!;
      index = parent;
    }
    heap[index] = lease;
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop();
    if (last === undefined || heap.length === 0) return;
    let index = 0;
    for (;;) {
      const left = index * 2 + 1;
      if (left >= heap.length) break;
      const right = left + 1;
      const child = right < heap.length && before(heap[right]!, heap[left]!) ? right : left;
      if (!before(heap[child]!, last)) break;
      heap[index] = heap[child]!;
      index = child;
    }
    heap[index] = last;
  }
}

function before(a: Lease, b: Lease): boolean {
  return a.until < b.until || (a.until === b.until && a.order < b.order);
}
