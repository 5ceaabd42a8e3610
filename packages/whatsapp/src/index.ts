export { type TwilioError, twilioErrorCode } from './twilio-error';
export * from './twilio-status-webhook';
export * from './twilio-whatsapp-channel';
export * from './whatsapp-channel';
export * from './whatsapp-content';
export { describeGraphError, type GraphError, graphErrorCode } from './whatsapp-error';
export * from './whatsapp-webhook';
