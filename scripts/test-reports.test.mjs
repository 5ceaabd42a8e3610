// The closing line of .ci/run: every report summed; a suite that failed to load, a file whose hook failed and a run
// that exited non-zero with no failing test counted; a missing report failed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { recordExit, sumReports, writeFailureReport } from './test-reports.mjs';

const folders = [];
afterEach(() => {
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

function folderWith(reports) {
  const folder = mkdtempSync(path.join(tmpdir(), 'herald-test-reports-'));
  folders.push(folder);
  for (const [name, report] of Object.entries(reports)) writeFileSync(path.join(folder, name), JSON.stringify(report));
  return folder;
}

describe('sumReports', () => {
  it('adds the passed and failed tests of every report', () => {
    const folder = folderWith({
      'node20.json': { numPassedTests: 700, numFailedTests: 2, numFailedTestSuites: 1 },
      'node24.json': { numPassedTests: 690, numFailedTests: 0, numFailedTestSuites: 0 },
    });
    expect(sumReports(folder)).toMatchObject({ passed: 1390, failed: 2 });
  });

  it('counts a suite that failed to load when no test failed, and a step that failed before its tests', () => {
    const folder = folderWith({ 'ioredis-5.json': { numPassedTests: 10, numFailedTests: 0, numFailedTestSuites: 1 } });
    writeFailureReport(path.join(folder, 'bullmq-5.json'), 'bullmq-5: setup failed');
    const summed = sumReports(folder);
    expect(summed).toMatchObject({ passed: 10, failed: 2 });
    expect(summed.rows.find((row) => row.name === 'bullmq-5.json')?.note).toBe('bullmq-5: setup failed');
  });

  it('fails an expected report that is missing, and one that cannot be read', () => {
    const folder = folderWith({ 'node20.json': { numPassedTests: 5 } });
    writeFileSync(path.join(folder, 'broken.json'), '{');
    expect(sumReports(folder, ['node20.json', 'node24.json'])).toMatchObject({ passed: 5, failed: 2 });
  });

  it('counts a file that failed outside its tests (an afterAll that threw) once, beside its passing tests', () => {
    const folder = folderWith({
      'bullmq-5.json': {
        numPassedTests: 32,
        numFailedTests: 1,
        numFailedTestSuites: 0,
        testResults: [
          { status: 'failed', assertionResults: [{ status: 'passed' }, { status: 'passed' }] },
          { status: 'passed', assertionResults: [{ status: 'passed' }] },
          { status: 'failed', assertionResults: [{ status: 'failed' }] },
        ],
      },
    });
    // One failed test, plus the file that failed with none failing inside it.
    expect(sumReports(folder)).toMatchObject({ passed: 32, failed: 1 + 1 });
  });

  it('counts a run whose vitest exited non-zero with a clean report as one failure, and says why', () => {
    const clean = { numPassedTests: 32, numFailedTests: 0, numFailedTestSuites: 0, testResults: [] };
    const folder = folderWith({ 'bullmq-5.json': clean, 'node20.json': clean, 'node24.json': clean });
    expect(recordExit(path.join(folder, 'bullmq-5.json'), 1)).toBe(true);
    expect(recordExit(path.join(folder, 'node20.json'), 0)).toBe(true);
    expect(recordExit(path.join(folder, 'missing.json'), 1)).toBe(false);
    const summed = sumReports(folder);
    expect(summed).toMatchObject({ passed: 96, failed: 1 });
    expect(summed.rows.find((row) => row.name === 'bullmq-5.json')?.note).toMatch(
      /^vitest exited with 1 though no test failed/,
    );
    expect(summed.rows.find((row) => row.name === 'node20.json')?.note).toBeUndefined();
  });

  it('does not count an exit code twice when the report already shows the failure', () => {
    const folder = folderWith({ 'node24.json': { numPassedTests: 3, numFailedTests: 2, numFailedTestSuites: 0 } });
    recordExit(path.join(folder, 'node24.json'), 1);
    expect(sumReports(folder)).toMatchObject({ passed: 3, failed: 2 });
  });
});
