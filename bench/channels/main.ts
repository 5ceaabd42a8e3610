// Runs each channel's benchmark part that exists (`npm run channels`); `-- push` runs only that part.
import { existsSync } from 'node:fs';

const only = process.argv[2];
for (const part of ['email', 'push', 'whatsapp']) {
  const file = new URL(`./${part}.ts`, import.meta.url);
  if ((only !== undefined && only !== part) || !existsSync(file)) continue;
  const { run } = (await import(file.href)) as { run: () => Promise<unknown> };
  await run();
}
