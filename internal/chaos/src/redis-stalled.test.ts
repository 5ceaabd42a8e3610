// notify() when the redis-server stalls (DEBUG SLEEP 1.2 s) while the child waits at each step boundary, past
// RedisStore's timeoutMs (500 ms): the stalled calls time out but apply when Redis wakes. A retry with the key, or
// the relay alone, must complete each notification without doubling what the timed-out calls wrote.
import { describeFault } from './describe-fault.fixture';

// A delivery whose record update timed out is tried again, and the channel may send it again.
describeFault('redis-server stalled', { expectExactSends: () => false });
