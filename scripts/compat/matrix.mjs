// What test:compat runs. The workspace develops against today's majors (ioredis 6, BullMQ 6, nodemailer 10,
// firebase-admin 13 on Node 20); each run here installs the other supported major of a peer into a scratch
// folder and runs the tests that touch it, or runs the whole suite on another Node major.
//   install  — npm specs installed into .tmp/compat/<name>; the packages of `resolve` (default: those installed)
//              resolve from there, for the test files (vitest.shared.ts) and the processes they start (register.mjs)
//   node     — the Node major to run on (installed from the npm registry), default: the one running this script
//   projects — vitest projects (default: all); files — vitest file filters within them
//   config   — a vitest config of its own instead of the root one
//   inCompat — false for runs that `npm run test:compat` leaves out (name them to run them)

export const runs = [
  {
    name: 'ioredis-5',
    summary: 'RedisStore (its Store contract, client settings, faults) and the WebSocket Redis relay on ioredis 5',
    install: { ioredis: '^5.6.0' },
    projects: ['storage', 'websocket'],
    files: ['redis', 'restart'],
  },
  {
    name: 'bullmq-5',
    summary: 'the BullMQ runner, its crash and multi-process tests on BullMQ 5 with the ioredis 5 it pins',
    install: { bullmq: '^5.58.0' },
    resolve: ['bullmq', 'ioredis'],
    projects: ['bullmq'],
  },
  {
    name: 'nodemailer-8',
    summary: 'the email channel and the quickstart on nodemailer 8',
    install: { nodemailer: '^8.0.9' },
    projects: ['email', 'quickstart'],
  },
  {
    name: 'firebase-admin-14-node22',
    summary: 'the FCM channel on firebase-admin 14, which needs Node 22',
    install: { 'firebase-admin': '^14.0.0' },
    node: 22,
    projects: ['fcm'],
  },
  {
    name: 'firebase-admin-14-node24',
    summary: 'the FCM channel on firebase-admin 14 on Node 24',
    install: { 'firebase-admin': '^14.0.0' },
    node: 24,
    projects: ['fcm'],
  },
  {
    name: 'node22',
    summary: 'the packages a host imports and the quickstart on Node 22 (the process-heavy suites run on 20 and 24)',
    node: 22,
    // Chaos, the BullMQ worker processes, the Postgres servers and the example apps in a browser run on Node 20 and
    // 24 in full; leaving them out here keeps CI inside its time budget.
    projects: [
      'core',
      'storage',
      'testing',
      'websocket',
      'http',
      'email',
      'whatsapp',
      'devtools',
      'inbox-element',
      'react',
      'schema-compat',
      'quickstart',
    ],
  },
  {
    name: 'fresh-app',
    summary: 'a new app installing the packed packages with today’s majors, compiling and running the README',
    config: 'scripts/compat/vitest.config.mjs',
    needsBuild: true,
  },
  { name: 'node24', summary: 'every test on Node 24', node: 24, inCompat: false },
];
