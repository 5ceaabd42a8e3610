// `node --import ./scripts/compat/register.mjs`: installs ./resolve-hooks.mjs for the packages named in
// HERALD_COMPAT_PACKAGES (a JSON object of package name → folder), and does nothing without it.
import { register } from 'node:module';

const raw = process.env.HERALD_COMPAT_PACKAGES;
if (raw) register('./resolve-hooks.mjs', import.meta.url, { data: JSON.parse(raw) });
