// One schema migration: a version, a name, and the SQL that takes the schema from the previous version to this one.

export interface Migration {
  /** 1, 2, 3…: applied in order, each once. */
  readonly version: number;
  /** What it adds, for the migrations table and the README. */
  readonly name: string;
  /** The statements, for a schema name already checked (`checkSchemaName`). */
  sql(schema: string): string;
}
