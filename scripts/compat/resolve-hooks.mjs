// Module resolution hooks for the processes test:compat's tests start themselves (BullMQ workers, gateways):
// imports of the packages named in HERALD_COMPAT_PACKAGES resolve from the folder holding their other major,
// as vitest.shared.ts arranges for the test files. Registered by ./register.mjs through NODE_OPTIONS.
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

let folders = {};

export function initialize(data) {
  folders = data ?? {};
}

function packageNameOf(specifier) {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

export async function resolve(specifier, context, nextResolve) {
  const folder = folders[packageNameOf(specifier)];
  // Only Herald's own files are redirected: an installed package (smtp-server and its nodemailer) keeps its own.
  const fromPackage = context.parentURL?.includes('/node_modules/') ?? false;
  if (folder === undefined || fromPackage || specifier.startsWith('.') || specifier.includes(':')) {
    return nextResolve(specifier, context);
  }
  const parentURL = pathToFileURL(path.join(folder, 'package.json')).href;
  const resolved = await nextResolve(specifier, { ...context, parentURL });
  appendFileSync(path.join(folder, 'resolved.log'), `${specifier}\t${resolved.url}\tprocess ${process.pid}\n`);
  return resolved;
}
