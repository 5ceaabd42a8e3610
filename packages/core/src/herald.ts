// createHerald: composes the parts of a Herald instance — the dispatcher (notify), the delivery executor and
// its runner, the outbox relay, the inbox / devices / preferences / deliveries APIs and the event bus.
// DESIGN.md, "The flow of one notification", says what each step does.

import { createCancellation } from './cancellation';
import { systemClock } from './clock';
import { createDeliveriesApi } from './deliveries-api';
import { createDeliveryExecutor } from './delivery-executor';
import { createDevicesApi } from './devices-api';
import { createDispatcher } from './dispatcher';
import { ConfigurationError, HeraldError } from './errors';
import { createEventBus } from './event-bus';
import type { Herald, HeraldSettings } from './herald-types';
import { createInProcessRunner } from './in-process-runner';
import { createInboxApi } from './inbox-api';
import { silentLogger } from './logger';
import { createNotificationCache } from './notification-cache';
import { createNotificationCatalog } from './notification-catalog';
import { createOutboxRelay, DEFAULT_LEASE_MS } from './outbox-relay';
import { createPreferencesApi } from './preferences-api';
import { createRetryPolicy } from './retry-policy';
import { Settlement } from './settlement';
import { channelsByKind, checkRunner, checkStore } from './setup-checks';
import type { AnyChannel } from './spec/channel';
import type { DeliveryTask, TaskOutcome } from './spec/runner';
import type { Store } from './spec/store';
import { createDigestsApi } from './timing/digests';
import { durationMs } from './timing/duration';
import { createEscalationWithdrawal } from './timing/escalations';
import type { ThrottleBudget } from './timing/timing-decisions';

const DAY_MS = 24 * 60 * 60 * 1000;

function throttleBudget(setting: HeraldSettings['throttle']): ThrottleBudget | undefined {
  if (setting === undefined) return undefined;
  if (typeof setting !== 'object' || setting === null)
    throw new ConfigurationError('throttle must be { limit, per, channels? }.');
  const { limit } = setting;
  if (typeof limit !== 'number' || !Number.isInteger(limit) || limit < 1) {
    throw new ConfigurationError(`throttle.limit must be a positive integer, got ${JSON.stringify(limit)}.`);
  }
  return { limit, perMs: durationMs(setting.per, 'throttle.per'), kinds: setting.channels };
}

export function createHerald<S extends Store = Store>(settings: HeraldSettings<S>): Herald<S> {
  checkStore(settings.store);
  if (settings.runner !== undefined) checkRunner(settings.runner);
  const { store } = settings;
  const clock = settings.clock ?? systemClock;
  const logger = settings.logger ?? silentLogger;
  const nowIso = (): string => new Date(clock.now()).toISOString();
  const events = createEventBus(logger);
  const byKind = channelsByKind(settings.channels ?? []);
  const catalog = createNotificationCatalog(settings.notifications);
  const runner = settings.runner ?? createInProcessRunner({ concurrency: settings.concurrency ?? 64, clock, logger });
  const executesHere = runner.capabilities?.executesHere !== false;
  const cache = executesHere ? createNotificationCache() : undefined;
  // Without outcomes reported here, nothing would ever settle a tracker: `settled` reads the store instead.
  const settlement = runner.capabilities?.settlesHere === false ? undefined : new Settlement();
  const deliveries = createDeliveriesApi(store, events);

  const executor = createDeliveryExecutor({
    store,
    channelsByKind: byKind,
    catalog,
    retry: createRetryPolicy(settings.retry),
    clock,
    logger,
    emit: events.emit,
    now: nowIso,
    cachedItem: (itemId) => cache?.item(itemId),
    async removeDevice(token) {
      const device = await store.removeDevice(token);
      if (!device) return;
      events.emit('device.removed', { device, reason: 'invalid-token' });
      logger.info('herald: removed a dead push token', { userId: device.userId, platform: device.platform });
    },
    async loadNotification(notificationId) {
      const cached = cache?.context(notificationId);
      if (cached) return cached;
      const record = await store.getNotification(notificationId);
      if (!record) return undefined;
      const context = { type: record.type, payload: record.payload, actorId: record.actorId };
      cache?.rememberContext(notificationId, context);
      return context;
    },
  });
  const settleTask = (task: DeliveryTask, outcome: Extract<TaskOutcome, { final: true }>): void => {
    settlement?.settle(task.notificationId, {
      deliveryId: task.deliveryId,
      recipientId: task.recipient.id,
      kind: task.kind,
      status: outcome.status,
      ...(outcome.error ? { error: outcome.error } : {}),
      ...(outcome.reason === undefined ? {} : { reason: outcome.reason }),
      ...(outcome.reasonCode === undefined ? {} : { reasonCode: outcome.reasonCode }),
    });
  };
  // Nothing starts until every channel is attached: a channel that refuses to attach leaves nothing running.
  let startRunner!: () => void;
  const runnerStarted = new Promise<void>((resolve, reject) => {
    startRunner = () => {
      try {
        Promise.resolve(runner.start(executor, { onSettled: settleTask })).then(resolve, reject);
      } catch (error) {
        reject(error);
      }
    };
  });

  const relaySettings = settings.relay === false ? undefined : (settings.relay ?? {});
  const dispatcher = createDispatcher({
    store,
    runner,
    runnerStarted,
    registeredKinds: new Set(byKind.keys()),
    hasRealtimeInApp: byKind.has('inApp'),
    catalog,
    resolveRecipients: settings.resolveRecipients,
    events,
    settlement,
    cache,
    report: deliveries.report,
    clock,
    logger,
    leaseMs: relaySettings?.leaseMs ?? DEFAULT_LEASE_MS,
    idempotencyTtlMs: settings.idempotencyTtlMs ?? DAY_MS,
    throttleBudget: throttleBudget(settings.throttle),
  });
  let relay: ReturnType<typeof createOutboxRelay> | undefined;

  let closing: Promise<void> | undefined;
  const allChannels = (): AnyChannel[] => [...byKind.values()].flat();
  const herald: Herald<S> = {
    notify(definition, options) {
      if (closing)
        return Promise.reject(new HeraldError('CLOSED', 'Herald is closed: notify() was called after close().'));
      return dispatcher.notify(definition, options as never);
    },
    cancel: createCancellation(store, runner, events, settlement),
    inbox: createInboxApi(
      store,
      events,
      nowIso,
      createEscalationWithdrawal({ store, runner, runnerStarted, catalog, events, settlement, logger }),
    ),
    devices: createDevicesApi(store, events, nowIso, { maxDevicesPerUser: settings.maxDevicesPerUser }),
    preferences: createPreferencesApi(store),
    deliveries,
    digests: createDigestsApi(store, runner, () => clock.now()),
    store,
    on(event, listener) {
      events.on(event, listener);
      return herald;
    },
    off(event, listener) {
      events.off(event, listener);
      return herald;
    },
    once(event, listener) {
      events.once(event, listener);
      return herald;
    },
    close() {
      closing ??= (async () => {
        await relay?.stop();
        await runnerStarted;
        await runner.close();
        for (const detach of detachers) detach();
        await Promise.all(allChannels().map((channel) => channel.close?.()));
        events.clear();
      })();
      return closing;
    },
  };

  const detachers: (() => void)[] = [];
  try {
    for (const channel of allChannels()) {
      const detach = channel.attach?.(herald);
      if (typeof detach === 'function') detachers.push(detach);
    }
  } catch (error) {
    for (const detach of detachers) detach();
    throw error;
  }
  startRunner();
  if (relaySettings) relay = createOutboxRelay(relaySettings, { store, clock, logger, resume: dispatcher.resume });
  return herald;
}
