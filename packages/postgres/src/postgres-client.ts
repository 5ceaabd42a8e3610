// The one thing Herald needs of a PostgreSQL connection: `query(text, values)` resolving to `{ rows }`. node-postgres
// (`Pool`, `Client`, `PoolClient`) and PGlite (`PGlite`, its `Transaction`) have exactly this method, so they are
// passed in as they are; postgres.js fits through a three-line adapter (see the README). The host owns every
// connection: Herald never opens one and never closes one it was given.

/** What a query returns: rows of named columns. Herald reads every column as text, so type parsers do not matter. */
export interface PostgresQueryResult {
  rows: Record<string, unknown>[];
}

/** A pool, a connection or an open transaction that runs one statement with `$1…$n` parameters. */
export interface PostgresQueryable {
  query(text: string, values?: unknown[]): Promise<PostgresQueryResult>;
}

/** A connection checked out of a pool (node-postgres `PoolClient`): released to the pool, or destroyed with an error. */
export interface PostgresPoolClient extends PostgresQueryable {
  release(error?: Error | boolean): void;
  on?(event: 'notification', listener: (message: { channel: string; payload?: string | undefined }) => void): unknown;
  on?(event: 'error', listener: (error: Error) => void): unknown;
  on?(event: 'end', listener: () => void): unknown;
  removeAllListeners?(event?: string): unknown;
}

/** A pool (node-postgres `Pool`): queries run on any of its connections; `connect()` checks one out. */
export interface PostgresPool extends PostgresQueryable {
  connect(): Promise<PostgresPoolClient>;
}

/** PGlite's own notification API (one in-process connection). */
export interface PostgresListenable extends PostgresQueryable {
  listen(channel: string, callback: (payload: string) => void): Promise<(...args: never[]) => Promise<void>>;
}

/** PGlite's transaction runner: holds its single connection for the callback. */
interface TransactionRunner extends PostgresQueryable {
  transaction<T>(run: (transaction: PostgresQueryable) => Promise<T>): Promise<T>;
}

/** node-postgres's query config: a named statement is parsed and planned once per connection, then reused. */
interface NamedQueryable {
  query(config: { name: string; text: string; values?: unknown[] }): Promise<PostgresQueryResult>;
}

/** A node-postgres Pool, Client or PoolClient, which take a query config with a statement name. */
export function takesNamedStatements(db: PostgresQueryable): boolean {
  const candidate = db as { totalCount?: unknown; connectionParameters?: unknown; escapeLiteral?: unknown };
  return (
    isPool(db) || (typeof candidate.connectionParameters === 'object' && typeof candidate.escapeLiteral === 'function')
  );
}

/** A stable name for a statement's text (a 53-bit hash): the same text gets the same name in every store. */
export function statementName(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let index = 0; index < text.length; index++) {
    const unit = text.charCodeAt(index);
    h1 = Math.imul(h1 ^ unit, 2654435761);
    h2 = Math.imul(h2 ^ unit, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return `herald_${(4294967296 * (2097151 & h2) + (h1 >>> 0)).toString(36)}_${text.length.toString(36)}`;
}

/**
 * The query function the driver runs its statements through: named (prepared once per connection) on node-postgres
 * when `prepared`, plain otherwise (PGlite, postgres.js adapters, or `preparedStatements: false`).
 */
export function queryFunction(
  db: PostgresQueryable,
  prepared: boolean,
): (text: string, values: unknown[]) => Promise<PostgresQueryResult> {
  if (!prepared || !takesNamedStatements(db)) return (text, values) => db.query(text, values);
  const names = new Map<string, string>();
  return (text, values) => {
    let name = names.get(text);
    if (name === undefined) {
      name = statementName(text);
      names.set(text, name);
    }
    return (db as unknown as NamedQueryable).query({ name, text, values });
  };
}

export function isPool(db: PostgresQueryable): db is PostgresPool {
  // A node-postgres Client has connect() too, but it connects itself (and has no pool counters).
  const candidate = db as Partial<PostgresPool> & { totalCount?: unknown };
  return typeof candidate.connect === 'function' && typeof candidate.totalCount === 'number';
}

export function isListenable(db: PostgresQueryable): db is PostgresListenable {
  return typeof (db as Partial<PostgresListenable>).listen === 'function';
}

function hasTransactionRunner(db: PostgresQueryable): db is TransactionRunner {
  return typeof (db as Partial<TransactionRunner>).transaction === 'function';
}

/**
 * Runs `run` in a transaction of its own on one connection: PGlite's `transaction()`, a client checked out of a
 * pool, or BEGIN / COMMIT on the connection given (a `Client` or `PoolClient` nobody else uses meanwhile).
 */
export async function withTransaction<T>(
  db: PostgresQueryable,
  run: (transaction: PostgresQueryable) => Promise<T>,
): Promise<T> {
  if (hasTransactionRunner(db)) return db.transaction(run);
  const client: PostgresQueryable = isPool(db) ? await db.connect() : db;
  let failure: unknown;
  try {
    await client.query('BEGIN');
    try {
      const result = await run(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      failure = error;
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    }
  } finally {
    if (client !== db) (client as PostgresPoolClient).release(failure instanceof Error ? failure : undefined);
  }
}

/**
 * Who may use a single connection now. A store given one connection as `db` (a node-postgres `Client`, or a
 * `PoolClient` it owns) runs its own transactions on it with BEGIN … COMMIT: a statement of another call sent
 * meanwhile would run inside that transaction — committed or rolled back with it, or refused once it failed. So
 * a transaction has the connection to itself: statements that arrive while one runs wait for its end, and
 * transactions take their turns. A pool (a connection per transaction) and PGlite (whose `transaction()` holds
 * its own lock) need no gate.
 */
export interface ConnectionGate {
  /** Runs a statement once no transaction holds the connection; `send` must send it synchronously. */
  statement<T>(send: () => Promise<T>): Promise<T>;
  /** Runs a transaction with the connection to itself. */
  transaction<T>(run: () => Promise<T>): Promise<T>;
}

/** One gate per connection, whoever uses it: the stores, the outbox wake-up and the realtime relay on one `Client`. */
const gates = new WeakMap<PostgresQueryable, ConnectionGate>();

export function connectionGate(db: PostgresQueryable): ConnectionGate | undefined {
  if (isPool(db) || hasTransactionRunner(db)) return undefined;
  let gate = gates.get(db);
  if (!gate) {
    gate = createConnectionGate();
    gates.set(db, gate);
  }
  return gate;
}

/** One statement on `db` outside any transaction of Herald's: through the connection's gate when it has one. */
export function sendStatement(db: PostgresQueryable, text: string, values?: unknown[]): Promise<PostgresQueryResult> {
  const gate = connectionGate(db);
  return gate ? gate.statement(() => db.query(text, values)) : db.query(text, values);
}

function createConnectionGate(): ConnectionGate {
  /** Settles when the transaction holding the connection ends. */
  let held: Promise<void> | undefined;
  /** The end of the last transaction in line. */
  let line: Promise<unknown> = Promise.resolve();
  return {
    async statement(send) {
      // Sent in the same turn as the check: the connection queues it ahead of any BEGIN sent later.
      while (held) await held;
      return send();
    },
    transaction(run) {
      const turn = line.then(async () => {
        let release = (): void => {};
        held = new Promise<void>((resolve) => {
          release = resolve;
        });
        try {
          return await run();
        } finally {
          held = undefined;
          release();
        }
      });
      line = turn.catch(() => undefined);
      return turn;
    },
  };
}
