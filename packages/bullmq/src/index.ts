export {
  type BullMQRunner,
  type BullMQRunnerSettings,
  type BullMQWorkerOptions,
  createBullMQRunner,
  limiterForRate,
} from './bullmq-runner';
export type { DeliveryJobResult } from './job-outcome';
