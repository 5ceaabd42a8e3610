// Every TypeScript block of every README compiles against the built packages (scripts/readme-snippets.mjs): one
// test per block or chain of blocks, named after the README and the block, failing with the compiler's errors at
// their README lines. Then the checker itself, on small READMEs written for each case.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSnippets, extractBlocks, labelOf, parseMarker, planSnippets } from './readme-snippets.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

describe('README snippets', () => {
  const planned = planSnippets(root).filter((module) => module.skipped === undefined);
  let errors;
  // One compiler program over every README: seconds on an idle machine, minutes on a loaded one.
  beforeAll(() => {
    const { modules, general } = checkSnippets({ root });
    errors = new Map(modules.map((module) => [labelOf(module), module.errors]));
    errors.set('(any)', general);
  }, 600_000);

  it('leaves no error outside a snippet (compiler options, scripts/readme-assumed.ts)', () => {
    expect(errors.get('(any)').join('\n')).toBe('');
  });

  it.each(planned.map((module) => [labelOf(module)]))('%s compiles under strict TypeScript', (label) => {
    expect(errors.get(label).join('\n')).toBe('');
  });
});

describe('the README snippet checker', () => {
  const fixture = path.join(root, '.tmp', 'readme-snippets-fixture');
  const readme = path.relative(root, path.join(fixture, 'README.md'));
  afterAll(() => rmSync(fixture, { recursive: true, force: true }));

  function check(markdown) {
    rmSync(fixture, { recursive: true, force: true });
    mkdirSync(fixture, { recursive: true });
    writeFileSync(path.join(fixture, 'README.md'), markdown);
    return checkSnippets({ root, readmes: [readme], folder: path.join(fixture, 'project') }).modules;
  }

  it('reads markers: assumed names, continues, and skip with its reason (semicolons included)', () => {
    expect(parseMarker('assumes herald, db; continues')).toEqual({
      assumes: ['herald', 'db'],
      continues: true,
      skip: undefined,
    });
    expect(parseMarker('skip: a Next.js file; its imports are aliases').skip).toBe(
      'a Next.js file; its imports are aliases',
    );
    expect(() => parseMarker('skip')).toThrow(/needs a reason/);
    expect(() => parseMarker('asumes herald')).toThrow(/unknown directive "asumes"/);
    expect(() => parseMarker('assumes herald db')).toThrow(/comma-separated/);
  });

  it('finds ts blocks, indented ones too, with the line of their first line of code', () => {
    const markdown = [
      '# Title', // 1
      '```sh', // 2
      'npm install', // 3
      '```', // 4
      '<!-- snippet: assumes herald -->', // 5
      '```ts', // 6
      'const a = 1;', // 7
      '```', // 8
      '- a list item:', // 9
      '', // 10
      '  ```typescript', // 11
      '  const b = 2;', // 12
      '  ```', // 13
    ].join('\n');
    const blocks = extractBlocks(markdown);
    expect(blocks.map(({ index, line, code, marker }) => ({ index, line, code, assumes: marker.assumes }))).toEqual([
      { index: 1, line: 7, code: 'const a = 1;', assumes: ['herald'] },
      { index: 2, line: 12, code: 'const b = 2;', assumes: [] },
    ]);
  });

  it('fails a block that strict TypeScript refuses, naming the README, the block and the line', () => {
    const [module] = check(
      [
        '# A README',
        '',
        '```ts',
        "import { Redis } from 'ioredis';",
        '',
        'const redis = new Redis(process.env.REDIS_URL);',
        '```',
      ].join('\n'),
    );
    expect(labelOf(module)).toBe(`${readme} block 1 (line 4)`);
    expect(module.errors).toHaveLength(1);
    expect(module.errors[0]).toMatch(new RegExp(`^${readme.replace(/[.]/g, '\\.')}:6: TS2769: No overload matches`));
  });

  it('compiles against the built packages, with assumed names and a block that continues the one before', () => {
    const modules = check(
      [
        '<!-- snippet: assumes db -->',
        '```ts',
        "import { createHerald } from '@herald/core';",
        "import { MemoryStore } from '@herald/storage';",
        '',
        'const herald = createHerald({ store: new MemoryStore(), resolveRecipients: (ids) => db.users.findMany(ids) });',
        '```',
        'Then:',
        '<!-- snippet: continues -->',
        '```ts',
        "await herald.inbox.unreadCount('ana');",
        "const count: string = await herald.inbox.unreadCount('ana');",
        '```',
      ].join('\n'),
    );
    expect(modules).toHaveLength(1);
    expect(labelOf(modules[0])).toBe(`${readme} blocks 1–2 (line 3)`);
    expect(modules[0].errors).toEqual([
      expect.stringMatching(new RegExp(`^${readme.replace(/[.]/g, '\\.')}:12: TS2322: Type 'UnreadCount' is not`)),
    ]);
  });

  it('reports an assumed name nobody declared, and a marker it cannot read', () => {
    const modules = check(
      [
        '<!-- snippet: assumes noSuchThing -->',
        '```ts',
        'noSuchThing;',
        '```',
        '<!-- snippet: asumes herald -->',
        '```ts',
        'export {};',
        '```',
      ].join('\n'),
    );
    expect(modules[0].errors).toEqual([expect.stringContaining('TS2305: Module \'"./readme-assumed.js"\' has no')]);
    expect(modules[1].errors).toEqual([expect.stringContaining('unknown directive "asumes"')]);
  });
});
