// What a notification's `whatsapp` builder returns, and how it becomes a Graph API message body.

import { DeliveryError } from '@herald/core';

/** A parameter of a template component, as the Graph API takes it (`{ type: 'text', text }`, currency, media…). */
export interface WhatsAppTemplateParameter {
  type: string;
  [field: string]: unknown;
}

/** A template component, as the Graph API takes it: `{ type: 'body', parameters: [...] }`, a button, a header. */
export interface WhatsAppTemplateComponent {
  type: 'header' | 'body' | 'button' | 'footer' | (string & {});
  sub_type?: string;
  index?: number | string;
  parameters?: WhatsAppTemplateParameter[];
}

export interface WhatsAppTemplate {
  /** The approved template's name (Cloud API); for Twilio, a key of `contentSids` or a Content SID (`HX…`). */
  name: string;
  /** The template's language code, e.g. `en_US`. */
  language: string;
  /** Full components, passed through to the Graph API as given. */
  components?: WhatsAppTemplateComponent[];
  /** Short form for the body's text parameters, in order: `['Ada', '#42']` fills `{{1}}` and `{{2}}`. */
  body?: string[];
}

/** Free-form text: delivered only inside the 24-hour customer-service window. */
export interface WhatsAppTextContent {
  text: string;
  /** Let WhatsApp render a preview of the first URL in the text. */
  previewUrl?: boolean;
  /** With a template as well, the template goes out when the window is closed. */
  template?: WhatsAppTemplate;
}

/** An approved template: delivered in or out of the window. */
export interface WhatsAppTemplateContent {
  template: WhatsAppTemplate;
  /** With text as well, the text is tried first and the template is the fallback. */
  text?: string;
  previewUrl?: boolean;
}

/** Text, a template, or both (text first, the template when the 24-hour window is closed). */
export type WhatsAppContent = WhatsAppTextContent | WhatsAppTemplateContent;

declare module '@herald/core' {
  interface ChannelContentMap {
    whatsapp: WhatsAppContent;
  }
}

/** Checks content that came through untyped paths (a JSON catalog, a plugin); throws INVALID_CONTENT. */
export function checkWhatsAppContent(content: unknown): {
  text: string | undefined;
  template: WhatsAppTemplate | undefined;
} {
  if (typeof content !== 'object' || content === null) {
    throw new DeliveryError('INVALID_CONTENT', 'WhatsApp content must be an object with `text` and/or `template`.');
  }
  const { text, template } = content as { text?: unknown; template?: unknown };
  if (text !== undefined && (typeof text !== 'string' || text.length === 0)) {
    throw new DeliveryError('INVALID_CONTENT', 'WhatsApp content.text must be a non-empty string.');
  }
  if (template !== undefined) {
    const { name, language, body, components } = template as Record<string, unknown>;
    if (typeof name !== 'string' || name.length === 0) {
      throw new DeliveryError('INVALID_CONTENT', 'WhatsApp content.template.name must be a non-empty string.');
    }
    if (typeof language !== 'string' || language.length === 0) {
      throw new DeliveryError(
        'INVALID_CONTENT',
        'WhatsApp content.template.language must be a language code such as en_US.',
      );
    }
    if (body !== undefined && !(Array.isArray(body) && body.every((value) => typeof value === 'string'))) {
      throw new DeliveryError('INVALID_CONTENT', 'WhatsApp content.template.body must be an array of strings.');
    }
    if (components !== undefined && !Array.isArray(components)) {
      throw new DeliveryError('INVALID_CONTENT', 'WhatsApp content.template.components must be an array.');
    }
  }
  if (text === undefined && template === undefined) {
    throw new DeliveryError('INVALID_CONTENT', 'WhatsApp content needs `text`, a `template`, or both.');
  }
  return { text: text as string | undefined, template: template as WhatsAppTemplate | undefined };
}

/** The Graph API `template` object: `body` short form becomes a body component. */
export function toGraphTemplate(template: WhatsAppTemplate): Record<string, unknown> {
  const components = [...(template.components ?? [])];
  if (template.body !== undefined) {
    if (components.some((component) => component.type === 'body')) {
      throw new DeliveryError(
        'INVALID_CONTENT',
        `WhatsApp template "${template.name}": give body parameters either as \`body\` or as a body component, not both.`,
      );
    }
    components.push({ type: 'body', parameters: template.body.map((text) => ({ type: 'text', text })) });
  }
  return {
    name: template.name,
    language: { code: template.language },
    ...(components.length > 0 ? { components } : {}),
  };
}
