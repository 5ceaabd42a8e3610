// `import '@herald/inbox-element/define'` registers <herald-inbox> (once, even when imported twice).

import { defineHeraldInbox } from './define-herald-inbox';

defineHeraldInbox();
