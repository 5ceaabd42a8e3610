// The words and dates the inbox shows: built-in texts per language, relative times through Intl, and the
// `formatters` a host passes to change either.

/** Every text the element shows. Functions take the numbers they talk about. */
export interface HeraldInboxTexts {
  title: string;
  /** The bell's accessible name; it includes the count so screen readers announce it. */
  bellLabel(unseen: number): string;
  markAllRead: string;
  all: string;
  unread: string;
  /** Read before each unread item's text by screen readers (shown as a dot). */
  unreadItem: string;
  markRead: string;
  markUnread: string;
  archive: string;
  empty: string;
  emptyUnread: string;
  offline: string;
  reconnecting: string;
  signedOut: string;
  loading: string;
  loadFailed: string;
}

const english: HeraldInboxTexts = {
  title: 'Notifications',
  bellLabel: (unseen) => (unseen === 0 ? 'Notifications' : `Notifications, ${unseen} unseen`),
  markAllRead: 'Mark all read',
  all: 'All',
  unread: 'Unread',
  unreadItem: 'Unread',
  markRead: 'Mark as read',
  markUnread: 'Mark as unread',
  archive: 'Archive',
  empty: 'You are all caught up',
  emptyUnread: 'No unread notifications',
  offline: 'Offline',
  reconnecting: 'Reconnecting…',
  signedOut: 'Signed out',
  loading: 'Loading…',
  loadFailed: 'Could not load older notifications',
};

const german: HeraldInboxTexts = {
  title: 'Benachrichtigungen',
  bellLabel: (unseen) => (unseen === 0 ? 'Benachrichtigungen' : `Benachrichtigungen, ${unseen} neu`),
  markAllRead: 'Alle als gelesen markieren',
  all: 'Alle',
  unread: 'Ungelesen',
  unreadItem: 'Ungelesen',
  markRead: 'Als gelesen markieren',
  markUnread: 'Als ungelesen markieren',
  archive: 'Archivieren',
  empty: 'Alles erledigt',
  emptyUnread: 'Keine ungelesenen Benachrichtigungen',
  offline: 'Offline',
  reconnecting: 'Verbindung wird wiederhergestellt…',
  signedOut: 'Abgemeldet',
  loading: 'Wird geladen…',
  loadFailed: 'Ältere Benachrichtigungen konnten nicht geladen werden',
};

const french: HeraldInboxTexts = {
  title: 'Notifications',
  bellLabel: (unseen) => (unseen === 0 ? 'Notifications' : `Notifications, ${unseen} non vues`),
  markAllRead: 'Tout marquer comme lu',
  all: 'Toutes',
  unread: 'Non lues',
  unreadItem: 'Non lue',
  markRead: 'Marquer comme lue',
  markUnread: 'Marquer comme non lue',
  archive: 'Archiver',
  empty: 'Vous êtes à jour',
  emptyUnread: 'Aucune notification non lue',
  offline: 'Hors ligne',
  reconnecting: 'Reconnexion…',
  signedOut: 'Déconnecté',
  loading: 'Chargement…',
  loadFailed: 'Impossible de charger les notifications plus anciennes',
};

const builtIn: Record<string, HeraldInboxTexts> = { en: english, de: german, fr: french };

/** What a host may change: any text, and how a date is written. */
export interface HeraldInboxFormatters {
  texts?: Partial<HeraldInboxTexts>;
  /** How an item's time is shown (default: a relative time such as "5 minutes ago" in `lang`). */
  time?(date: Date, context: { lang: string; now: Date }): string;
}

/** The texts for a language tag (`de-CH` falls back to `de`, unknown languages to English), with overrides. */
export function textsFor(lang: string, overrides: Partial<HeraldInboxTexts> = {}): HeraldInboxTexts {
  const base = builtIn[lang.toLowerCase()] ?? builtIn[lang.toLowerCase().split('-')[0] ?? ''] ?? english;
  return { ...base, ...overrides };
}

const units: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 7],
  ['week', 5],
];

/** "now", "5 minutes ago", "yesterday"…; past about a month, the date itself. */
export function relativeTime(date: Date, lang: string, now: Date): string {
  let value = (date.getTime() - now.getTime()) / 1000;
  for (const [unit, next] of units) {
    if (Math.abs(value) < next) {
      return new Intl.RelativeTimeFormat(lang, { numeric: 'auto' }).format(Math.round(value), unit);
    }
    value /= next;
  }
  return new Intl.DateTimeFormat(lang, { dateStyle: 'medium' }).format(date);
}
