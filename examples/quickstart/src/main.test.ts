// The quickstart is the first code a new user runs: run it as `npm start` does and check what it prints.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));

describe('quickstart', () => {
  it('notifies two users (not the actor), dedupes the retried call, and shows inboxes and email', async () => {
    const env = { ...process.env };
    delete env.SMTP_HOST;
    const { stdout } = await run(process.execPath, ['--import', 'tsx', '--conditions=herald-source', 'src/main.ts'], {
      cwd: root,
      env,
      timeout: 60_000,
    });
    expect(stdout).toContain('Second notify with the same key: deduplicated=true, same id=true');
    expect(stdout).toMatch(/Delivery report \S+: 4 sent, 0 failed, 0 skipped, 0 queued/);
    expect(stdout).toMatch(/Delivery report \S+: 2 sent, 0 failed, 0 skipped, 0 queued/);
    expect(stdout).toContain('Ana: 1 unread {"ticket.commented":1}');
    expect(stdout).toContain('Ben: 1 unread {"ticket.assigned":1}');
    expect(stdout).toContain('Email received by the local SMTP sink (2)');
    expect(stdout).toContain('to ben@example.com: "Assigned: Printer on fire"');
    expect(stdout).not.toContain('to ana@example.com');
  });
});
