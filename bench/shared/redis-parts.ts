// The main of a bench made of named parts that share one redis-server: `tsx <bench>/main.ts [part …]` runs the parts
// named (every part when none is) against a redis-server of its own, and stops it afterwards.
import { startRedisServer } from '@herald/test-peers/redis';

/** One benchmark part: runs against a Redis URL and prints its own figures. */
export type RedisPart = { name: string; run: (url: string) => Promise<void> };

/** Runs the parts the command line names, in `parts` order; a failure is printed and sets the exit code. */
export function runRedisParts(parts: RedisPart[]): void {
  main(parts).catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
}

async function main(parts: RedisPart[]): Promise<void> {
  const only = process.argv.slice(2);
  const server = await startRedisServer();
  try {
    console.log(`redis-server ${server.url}, node ${process.version}`);
    for (const part of parts) {
      if (only.length > 0 && !only.includes(part.name)) continue;
      await part.run(server.url);
    }
  } finally {
    await server.stop();
  }
}
