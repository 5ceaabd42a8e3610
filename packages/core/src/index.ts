export * from './channel';
export * from './clock';
export * from './errors';
export * from './html';
export * from './logger';
export * from './notification';
export * from './recipient';
export * from './store';
