export * from './graph-peer';
export * from './graph-webhook';
export * from './twilio-peer';
