export {
  createFcmChannel,
  FCM_MAX_MESSAGES_PER_CALL,
  type FcmChannelSettings,
} from './fcm-channel';
export { abbreviateToken, toFcmDeliveryError } from './fcm-error';
export {
  buildPushMessage,
  FCM_MAX_PAYLOAD_BYTES,
  type PushContent,
  type PushDataValue,
  type PushMessageTemplate,
} from './push-content';
