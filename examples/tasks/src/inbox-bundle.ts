// `<herald-inbox>` for the browser: bundled once at start-up with esbuild, straight from the workspace's source.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

export async function bundleInboxElement(): Promise<string> {
  const result = await build({
    stdin: {
      contents: "import '@herald/inbox-element/define';",
      resolveDir: fileURLToPath(new URL('.', import.meta.url)),
    },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    conditions: ['herald-source'],
    target: 'es2022',
    minify: true,
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]?.text ?? '';
}
