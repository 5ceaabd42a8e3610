// notify() when the redis-server is SIGKILLed while the child waits at each step boundary, and restarted 1.5 s
// later (its append-only file fsynced on every write, so nothing acknowledged is lost): the child's notify throws
// or completes; then a retry with the key, or the relay alone, completes what stopped.
import { describeFault } from './describe-fault.fixture';

// A delivery running when Redis dies may have reached its channel and failed to record it: it is sent again.
describeFault('redis-server killed', { expectExactSends: () => false });
