// Local stand-ins for the providers, so everything is visible on /dev without accounts: an SMTP sink and a
// WhatsApp Cloud API peer (Herald's own test peers). Set SMTP_HOST / WHATSAPP_GRAPH_URL to use others.

import { type SmtpPeer, startSmtpPeer } from '@herald/test-peers/smtp';
import { type GraphPeer, startGraphPeer } from '@herald/test-peers/whatsapp';
import type { ProviderSettings } from './herald';

export interface LocalProviders {
  settings: ProviderSettings;
  /** The stand-ins, when this process started them (the /dev page lists what they received). */
  smtp: SmtpPeer | undefined;
  whatsapp: GraphPeer | undefined;
  close(): Promise<void>;
}

/** Providers named in the environment (how the worker process finds the web process's stand-ins). */
export function providersFromEnvironment(environment = process.env): ProviderSettings | undefined {
  const { SMTP_HOST, SMTP_PORT, WHATSAPP_GRAPH_URL, WHATSAPP_PHONE_NUMBER_ID, WHATSAPP_ACCESS_TOKEN } = environment;
  if (!SMTP_HOST || !WHATSAPP_GRAPH_URL) return undefined;
  return {
    smtp: { host: SMTP_HOST, port: Number(SMTP_PORT ?? 25) },
    whatsapp: {
      graphBaseUrl: WHATSAPP_GRAPH_URL,
      phoneNumberId: WHATSAPP_PHONE_NUMBER_ID ?? '',
      accessToken: WHATSAPP_ACCESS_TOKEN ?? '',
    },
  };
}

export function providersToEnvironment(settings: ProviderSettings): Record<string, string> {
  return {
    SMTP_HOST: settings.smtp.host,
    SMTP_PORT: String(settings.smtp.port),
    WHATSAPP_GRAPH_URL: settings.whatsapp.graphBaseUrl,
    WHATSAPP_PHONE_NUMBER_ID: settings.whatsapp.phoneNumberId,
    WHATSAPP_ACCESS_TOKEN: settings.whatsapp.accessToken,
  };
}

export async function startProviders(): Promise<LocalProviders> {
  const named = providersFromEnvironment();
  if (named !== undefined) return { settings: named, smtp: undefined, whatsapp: undefined, close: async () => {} };
  const [smtp, whatsapp] = await Promise.all([startSmtpPeer(), startGraphPeer({ record: false })]);
  return {
    settings: {
      smtp: { host: smtp.host, port: smtp.port },
      whatsapp: {
        graphBaseUrl: whatsapp.url,
        phoneNumberId: whatsapp.phoneNumberId,
        accessToken: whatsapp.accessToken,
      },
    },
    smtp,
    whatsapp,
    async close() {
      await Promise.all([smtp.close(), whatsapp.close()]);
    },
  };
}
