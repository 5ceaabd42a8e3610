import { ConfigurationError } from './errors';
import type { Herald, HeraldSettings } from './herald-types';

export function createHerald(_settings: HeraldSettings): Herald {
  throw new ConfigurationError('createHerald is being written');
}
