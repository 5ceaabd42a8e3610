// notify() in a process SIGKILLed at each step boundary: a new process completes each notification, by a retry
// with its idempotency key or by its outbox relay alone (lease 1 s, relay every 300 ms).
import { describeFault } from './describe-fault.fixture';

// BullMQ: the killed process only produced; deliveries run in a worker process that lives on, so no send is cut off.
describeFault('process killed', { expectExactSends: (runner) => runner === 'bullmq' });
