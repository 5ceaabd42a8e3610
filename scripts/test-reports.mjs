#!/usr/bin/env node
// The vitest JSON reports of a CI run, summed into the one line `.ci/run` ends with: `N passed, N failed`.
// `node scripts/test-reports.mjs <folder> [--expect <name>…]` reads every <folder>/*.json; an expected report that
// is missing (its step died before vitest wrote it) counts as one failure.
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Passed and failed tests of one vitest JSON report; a suite that failed to load counts when no test failed. */
export function countsOf(report) {
  const failedTests = report.numFailedTests ?? 0;
  const failedSuites = report.numFailedTestSuites ?? 0;
  return { passed: report.numPassedTests ?? 0, failed: failedTests + (failedTests === 0 ? failedSuites : 0) };
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
      return { name, ...countsOf(report), note: report.heraldFailure };
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
