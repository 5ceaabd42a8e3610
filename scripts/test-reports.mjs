#!/usr/bin/env node
// The vitest JSON reports of a CI run, summed into the one line `.ci/run` ends with: `N passed, N failed`.
// `node scripts/test-reports.mjs <folder> [--expect <name>…]` reads every <folder>/*.json; an expected report that
// is missing (its step died before vitest wrote it) counts as one failure.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Passed and failed tests of one vitest JSON report. Failures outside any test count too, one each: a test file
 * that failed without a failing test in it (a file-level hook threw, or it did not load), a suite that failed when
 * nothing else did, and a run whose vitest exited non-zero although the report shows no failure (an unhandled error:
 * vitest's JSON report does not list those), recorded by `recordExit`.
 */
export function countsOf(report) {
  const failedTests = report.numFailedTests ?? 0;
  const failedFiles = (report.testResults ?? []).filter(
    (file) => file.status === 'failed' && !(file.assertionResults ?? []).some((test) => test.status === 'failed'),
  ).length;
  let failed = failedTests + failedFiles;
  if (failed === 0) failed = report.numFailedTestSuites ?? 0;
  const passed = report.numPassedTests ?? 0;
  const exitCode = report.heraldExitCode ?? 0;
  if (failed > 0 || exitCode === 0) return { passed, failed };
  const note = `vitest exited with ${exitCode} though no test failed: an unhandled error or a failed hook, printed in the log`;
  return { passed, failed: 1, note };
}

/**
 * Writes vitest's exit status into its report, so the closing line counts a failed run whose report shows no failing
 * test. A missing report is left to the caller (it writes a failure report of its own).
 */
export function recordExit(file, status) {
  if (!existsSync(file)) return false;
  const report = JSON.parse(readFileSync(file, 'utf8'));
  report.heraldExitCode = status;
  writeFileSync(file, JSON.stringify(report));
  return true;
}

/** A report saying a step failed outside any test (a build, an install), so the closing line counts it. */
export function writeFailureReport(file, message) {
  mkdirSync(path.dirname(file), { recursive: true });
  const report = {
    numPassedTests: 0,
    numFailedTests: 1,
    numFailedTestSuites: 0,
    success: false,
    heraldFailure: message,
  };
  writeFileSync(file, `${JSON.stringify(report)}\n`);
}

/** Every report in `folder`, by name, with its counts; missing expected ones as one failure each. */
export function sumReports(folder, expected = []) {
  const names = existsSync(folder)
    ? readdirSync(folder)
        .filter((name) => name.endsWith('.json'))
        .sort()
    : [];
  const rows = names.map((name) => {
    try {
      const report = JSON.parse(readFileSync(path.join(folder, name), 'utf8'));
      const counts = countsOf(report);
      return { name, passed: counts.passed, failed: counts.failed, note: report.heraldFailure ?? counts.note };
    } catch (error) {
      return { name, passed: 0, failed: 1, note: `unreadable report: ${error.message}` };
    }
  });
  for (const name of expected) {
    if (!names.includes(name))
      rows.push({ name, passed: 0, failed: 1, note: 'no report: the step died before writing one' });
  }
  const total = rows.reduce((sum, row) => ({ passed: sum.passed + row.passed, failed: sum.failed + row.failed }), {
    passed: 0,
    failed: 0,
  });
  return { rows, ...total };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const [folder = '.tmp/test-reports', ...rest] = process.argv.slice(2);
  const expected = [];
  for (let index = 0; index < rest.length; index += 1) {
    if (rest[index] === '--expect' && rest[index + 1]) expected.push(rest[++index]);
  }
  const { rows, passed, failed } = sumReports(folder, expected);
  for (const row of rows) {
    console.log(
      `  ${row.name.replace(/\.json$/, '')}: ${row.passed} passed, ${row.failed} failed${row.note ? ` (${row.note})` : ''}`,
    );
  }
  console.log(`${passed} passed, ${failed} failed`);
}
