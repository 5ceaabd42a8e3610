#!/usr/bin/env node
// Type-checks every ```ts block of every README against the built packages, as a host's code would compile them:
// each block (or chain of blocks, see below) becomes a module of a scratch project in .tmp/readme-snippets whose
// `@herald/*` imports resolve to the packages' dist types, compiled under strict settings. `npm test` runs it
// through scripts/readme-snippets.test.mjs; `node scripts/readme-snippets.mjs` prints the same report.
//
// A single-line HTML comment right before a block may say what the block needs (directives joined by ";"):
//   <!-- snippet: assumes herald, db -->  the block uses these names without declaring them; each is declared
//                                          once, for every README, in scripts/readme-assumed.ts
//   <!-- snippet: continues -->            the block goes on from the previous block of the same README (one module)
//   <!-- snippet: skip: <why> -->          the block is not compiled (pseudo-code, another language's syntax);
//                                          the reason is required
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const languages = new Set(['ts', 'typescript']);
const markerPattern = /^<!--\s*snippet:\s*(.*?)\s*-->$/;

/** The compiler options a careful host would use: TypeScript's strict family on, Node's own module rules. */
export const compilerOptions = {
  strict: true,
  noUncheckedIndexedAccess: true,
  exactOptionalPropertyTypes: true,
  noImplicitOverride: true,
  target: ts.ScriptTarget.ES2022,
  lib: ['lib.es2023.d.ts'],
  module: ts.ModuleKind.NodeNext,
  moduleResolution: ts.ModuleResolutionKind.NodeNext,
  moduleDetection: ts.ModuleDetectionKind.Force,
  types: ['node'],
  skipLibCheck: true,
  noEmit: true,
};

/** Parses a marker's text (`assumes a, b; continues`) into its directives, or throws saying what is wrong. */
export function parseMarker(text) {
  const marker = { assumes: [], continues: false, skip: undefined };
  // A skip's reason is the rest of the marker, semicolons and all.
  const skipAt = text.search(/(^|;)\s*skip\b/);
  const parts = (skipAt === -1 ? text : text.slice(0, skipAt)).split(';');
  if (skipAt !== -1) parts.push(text.slice(skipAt).replace(/^;/, ''));
  for (const part of parts.map((each) => each.trim())) {
    if (part === '') continue;
    const [word] = part.split(/[\s:]/, 1);
    const rest = part.slice(word.length).replace(/^\s*:?\s*/, '');
    if (word === 'assumes') {
      const names = rest.split(',').map((name) => name.trim());
      if (names.some((name) => !/^[A-Za-z_$][\w$]*$/.test(name))) {
        throw new Error(`"assumes" takes a comma-separated list of names, got "${rest}"`);
      }
      marker.assumes.push(...names);
    } else if (word === 'continues') {
      if (rest !== '') throw new Error(`"continues" takes nothing after it, got "${rest}"`);
      marker.continues = true;
    } else if (word === 'skip') {
      if (rest === '') throw new Error('"skip" needs a reason: <!-- snippet: skip: why it cannot compile -->');
      marker.skip = rest;
    } else {
      throw new Error(`unknown directive "${word}" (known: assumes, continues, skip)`);
    }
  }
  return marker;
}

/**
 * The TypeScript blocks of a Markdown text: `{ index, line, code, marker }`, `index` counting from 1 among the
 * TypeScript blocks, `line` the 1-based line of the block's first code line. A malformed marker is `markerError`.
 */
export function extractBlocks(markdown) {
  const lines = markdown.split(/\r?\n/);
  const blocks = [];
  let open;
  for (let number = 0; number < lines.length; number += 1) {
    const line = lines[number];
    if (open) {
      const closing = /^\s*(`{3,}|~{3,})\s*$/.exec(line);
      if (closing && closing[1][0] === open.fence[0] && closing[1].length >= open.fence.length) {
        if (open.block) blocks.push({ ...open.block, code: open.code.join('\n') });
        open = undefined;
      } else {
        open.code.push(line.slice(Math.min(open.indent, line.length - line.trimStart().length)));
      }
      continue;
    }
    const fence = /^(\s*)(`{3,}|~{3,})\s*([^\s`]*)/.exec(line);
    if (!fence) continue;
    open = { fence: fence[2], indent: fence[1].length, code: [] };
    if (!languages.has(fence[3].toLowerCase())) continue;
    const block = { index: blocks.length + 1, line: number + 2, marker: parseMarker('') };
    let previous = number - 1;
    while (previous >= 0 && lines[previous].trim() === '') previous -= 1;
    const comment = previous >= 0 ? markerPattern.exec(lines[previous].trim()) : null;
    if (comment) {
      try {
        block.marker = parseMarker(comment[1]);
      } catch (error) {
        block.markerError = `line ${previous + 1}: ${error.message}`;
      }
    }
    open.block = block;
  }
  return blocks;
}

/** README.md files of the repository: the root's and those one or two folders down, outside node_modules. */
export function findReadmes(root = repositoryRoot) {
  const found = existsSync(path.join(root, 'README.md')) ? ['README.md'] : [];
  const skipped = new Set(['node_modules', 'dist', '.tmp', '.turbo', '.git', '.changeset']);
  for (const first of readdirSync(root, { withFileTypes: true })) {
    if (!first.isDirectory() || skipped.has(first.name) || first.name.startsWith('.')) continue;
    if (existsSync(path.join(root, first.name, 'README.md'))) found.push(`${first.name}/README.md`);
    for (const second of readdirSync(path.join(root, first.name), { withFileTypes: true })) {
      if (!second.isDirectory() || skipped.has(second.name)) continue;
      const file = `${first.name}/${second.name}/README.md`;
      if (existsSync(path.join(root, file))) found.push(file);
    }
  }
  return found.sort((a, b) => (a === 'README.md' ? -1 : b === 'README.md' ? 1 : a.localeCompare(b)));
}

/**
 * Every snippet module to compile: one per block, or one per chain of `continues` blocks. Each is
 * `{ readme, blocks, file, segments, problems }`; `segments` map the module's lines back to the README.
 */
export function planSnippets(root = repositoryRoot, readmes = findReadmes(root)) {
  const modules = [];
  for (const readme of readmes) {
    const slug = readme.replace(/\/README\.md$|README\.md$/, '').replace(/[^\w]+/g, '-') || 'root';
    let current;
    for (const block of extractBlocks(readFileSync(path.join(root, readme), 'utf8'))) {
      const problems = block.markerError ? [`${readme}:${block.line - 1}: ${block.markerError}`] : [];
      if (block.marker.skip !== undefined) {
        modules.push({ readme, blocks: [block], skipped: block.marker.skip, problems, segments: [] });
        current = undefined;
        continue;
      }
      if (block.marker.continues && current) {
        current.blocks.push(block);
        current.problems.push(...problems);
        continue;
      }
      if (block.marker.continues)
        problems.push(`${readme}:${block.line}: "continues", but no block before it to go on from`);
      current = { readme, blocks: [block], file: `${slug}.${block.index}.ts`, problems, segments: [] };
      modules.push(current);
    }
  }
  for (const module of modules) {
    if (module.skipped !== undefined) continue;
    const assumed = [...new Set(module.blocks.flatMap((block) => block.marker.assumes))];
    const lines = assumed.length > 0 ? [`import { ${assumed.join(', ')} } from './readme-assumed.js';`] : [];
    for (const block of module.blocks) {
      module.segments.push({ block, fileLine: lines.length + 1 });
      lines.push(...block.code.split('\n'));
    }
    module.source = `${lines.join('\n')}\n`;
  }
  return modules;
}

/** The label tests and reports name a snippet module by: `packages/bullmq/README.md block 2 (line 40)`. */
export function labelOf(module) {
  const [first, ...rest] = module.blocks;
  const blocks = rest.length === 0 ? `block ${first.index}` : `blocks ${first.index}–${rest.at(-1).index}`;
  return `${module.readme} ${blocks} (line ${first.line})`;
}

/** A compiler host that parses each file outside the snippet folder once, for all the programs. */
function cachingHost(options, folder) {
  const host = ts.createCompilerHost(options);
  const cache = new Map();
  const getSourceFile = host.getSourceFile.bind(host);
  host.getSourceFile = (fileName, languageVersion, ...rest) => {
    if (path.resolve(fileName).startsWith(folder + path.sep)) return getSourceFile(fileName, languageVersion, ...rest);
    const key = `${fileName}\0${JSON.stringify(languageVersion)}`;
    if (!cache.has(key)) cache.set(key, getSourceFile(fileName, languageVersion, ...rest));
    return cache.get(key);
  };
  return host;
}

function readmeLine(module, fileLine) {
  const segment = module.segments.findLast((each) => each.fileLine <= fileLine) ?? module.segments[0];
  return segment.block.line + (fileLine - segment.fileLine);
}

/**
 * Writes the modules into `folder` and compiles them in one program. Returns the modules with `errors`: each
 * `README.md:<line>: TS<code>: <message>`. Throws when a package's build is missing.
 */
export function checkSnippets({
  root = repositoryRoot,
  readmes = findReadmes(root),
  folder = path.join(root, '.tmp', 'readme-snippets'),
} = {}) {
  const missing = readdirSync(path.join(root, 'packages')).filter(
    (name) => !existsSync(path.join(root, 'packages', name, 'dist')),
  );
  if (missing.length > 0) {
    throw new Error(
      `The README snippets compile against the built packages; build first (npm run build): no dist in ${missing.join(', ')}.`,
    );
  }
  const modules = planSnippets(root, readmes);
  rmSync(folder, { recursive: true, force: true });
  mkdirSync(folder, { recursive: true });
  writeFileSync(path.join(folder, 'package.json'), '{ "private": true, "type": "module" }\n');
  writeFileSync(path.join(folder, 'readme-assumed.ts'), readFileSync(path.join(root, 'scripts', 'readme-assumed.ts')));
  const compiled = modules.filter((module) => module.skipped === undefined);
  for (const module of compiled) writeFileSync(path.join(folder, module.file), module.source);
  const options = { ...compilerOptions, typeRoots: [path.join(root, 'node_modules', '@types')] };
  const host = cachingHost(options, folder);
  for (const module of modules) module.errors = [...module.problems];
  const general = [];
  // One program per module: a module augmentation (`import '@herald/email'` adding the email kind) reaches only
  // the snippet that imports it, as it would in a host's own file.
  for (const module of compiled) {
    const file = path.join(folder, module.file);
    const program = ts.createProgram([file], options, host);
    for (const diagnostic of ts.getPreEmitDiagnostics(program)) {
      const text = ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n  ');
      if (!diagnostic.file || diagnostic.start === undefined || path.resolve(diagnostic.file.fileName) !== file) {
        const where = diagnostic.file ? path.relative(folder, diagnostic.file.fileName) : 'tsc';
        general.push(`${labelOf(module)}: ${where}: TS${diagnostic.code}: ${text}`);
        continue;
      }
      const { line } = diagnostic.file.getLineAndCharacterOfPosition(diagnostic.start);
      const fileLine = line + 1;
      const first = module.segments[0];
      const where = fileLine < first.fileLine ? first.block.line - 1 : readmeLine(module, fileLine);
      module.errors.push(`${module.readme}:${where}: TS${diagnostic.code}: ${text}`);
    }
  }
  return { modules, general };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { modules, general } = checkSnippets();
  let failed = general.length > 0;
  for (const message of general) console.error(message);
  for (const module of modules) {
    if (module.skipped !== undefined) {
      console.log(`skip  ${labelOf(module)}: ${module.skipped}`);
    } else if (module.errors.length === 0) {
      console.log(`ok    ${labelOf(module)}`);
    } else {
      failed = true;
      console.log(`FAIL  ${labelOf(module)}`);
      for (const error of module.errors) console.log(`      ${error}`);
    }
  }
  process.exit(failed ? 1 : 0);
}
