// How much the element adds to a page, minified and gzipped, beside the realtime client it runs on. Printed for the
// README; the bounds only catch a framework or a dependency slipping in.

import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const elementEntry = fileURLToPath(new URL('./define.ts', import.meta.url));
const clientEntry = fileURLToPath(new URL('../../websocket/src/client.ts', import.meta.url));

async function gzippedBytes(entry: string, external: string[] = []): Promise<number> {
  const result = await build({
    entryPoints: [entry],
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    conditions: ['herald-source'],
    external,
    write: false,
    logLevel: 'silent',
  });
  return gzipSync(result.outputFiles[0]!.contents, { level: 9 }).length;
}

describe('bundle size', () => {
  it('stays small beside the client: no framework, no dependency', async () => {
    const element = await gzippedBytes(elementEntry, ['@herald/websocket/client']);
    const client = await gzippedBytes(clientEntry);
    const together = await gzippedBytes(elementEntry);
    const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;
    process.stdout.write(
      `min+gzip: element ${kB(element)}, client ${kB(client)}, element with client ${kB(together)}\n`,
    );
    expect(element).toBeLessThan(9_000);
    expect(together).toBeLessThan(element + client + 500);
  });
});
