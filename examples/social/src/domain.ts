// The social network itself: people, their phones, who follows and connects with whom, communities, posts,
// reactions and stories — and which event each action notifies. Seeded and kept in memory.
import type { Herald } from '@herald/core';
import { z } from 'zod';
import {
  connectionAccepted,
  connectionRejected,
  newCommunityPost,
  newConnectionRequest,
  newPostFromConnection,
  newStoryFromConnection,
  vibeOptions,
  vibeReactionOnPost,
} from './notifications';

export interface User {
  id: string;
  name: string;
  /** Push tokens of the user's phones, registered with Herald at start. */
  devices: string[];
}

const named: User[] = [
  { id: 'ana', name: 'Ana', devices: ['tok-ana-1', 'tok-ana-2'] },
  { id: 'ben', name: 'Ben', devices: ['tok-ben-1'] },
  { id: 'cara', name: 'Cara', devices: ['tok-cara-1', 'tok-cara-2', 'tok-cara-3'] },
  { id: 'dev', name: 'Dev', devices: [] }, // never installed the app: push skips him, saying why
  { id: 'eli', name: 'Eli', devices: ['tok-eli-1'] },
];
/** 150 runners who follow Ana, with one to three phones each. */
const fans: User[] = Array.from({ length: 150 }, (_, index) => {
  const id = `fan-${String(index + 1).padStart(3, '0')}`;
  return {
    id,
    name: `Runner ${index + 1}`,
    devices: Array.from({ length: (index % 3) + 1 }, (_, n) => `tok-${id}-${n + 1}`),
  };
});
export const users: User[] = [...named, ...fans];

/** A phone that uninstalled the app: FCM answers UNREGISTERED, and Herald removes the device. */
export const uninstalledTokens = ['tok-fan-008-2'];

export const communities = [
  { id: 'trail-runners', name: 'Trail runners', members: ['ana', 'ben', 'dev', ...fans.map((fan) => fan.id)] },
];

const userId = z.string().refine((id) => users.some((user) => user.id === id), 'Unknown user');
export const postInput = z.object({ text: z.string().trim().min(1).max(2_000) });
export const reactionInput = z.object({ vibe: z.enum(vibeOptions) });
export const connectionRequestInput = z.object({ to: userId });
export const answerInput = z.object({ answer: z.enum(['accept', 'reject']) });
export const storyInput = z.object({ caption: z.string().trim().max(200).default('') });

export interface SendLogEntry {
  notificationId: string;
  type: string;
  actorId: string;
  at: string;
  recipients: number;
  /** Left out before sending: the actor. */
  excluded: string[];
}

export function createNetwork(herald: Herald) {
  const follows = new Map<string, Set<string>>(); // who → whom they follow
  for (const user of users) if (user.id !== 'ana') follows.set(user.id, new Set(['ana']));
  const connections = new Set(['ana|ben', 'ana|cara', 'ben|cara']);
  const requests = new Map<string, { id: string; from: string; to: string }>();
  const posts = new Map<string, { id: string; authorId: string; text: string; communityId?: string }>();
  const log: SendLogEntry[] = [];
  let sequence = 0;
  const next = (prefix: string): string => `${prefix}-${++sequence}`;

  const person = (id: string) => ({ id, name: users.find((user) => user.id === id)?.name ?? id });
  const connectedTo = (id: string): string[] =>
    [...connections].flatMap((pair) => {
      const [a, b] = pair.split('|') as [string, string];
      return a === id ? [b] : b === id ? [a] : [];
    });
  const followersOf = (id: string): string[] => [...follows].filter(([, whom]) => whom.has(id)).map(([who]) => who);

  async function send<R extends { id: string; excluded: { recipientId: string }[]; recipients: string[] }>(
    type: string,
    actorId: string,
    notify: () => Promise<R>,
  ): Promise<R> {
    const result = await notify();
    log.unshift({
      notificationId: result.id,
      type,
      actorId,
      at: new Date().toISOString(),
      recipients: result.recipients.length,
      excluded: result.excluded.map((entry) => entry.recipientId),
    });
    log.length = Math.min(log.length, 200);
    return result;
  }

  return {
    log: (): SendLogEntry[] => log,
    person,
    posts: () => [...posts.values()],
    requestsFor: (id: string) => [...requests.values()].filter((request) => request.to === id),

    async post(authorId: string, text: string) {
      const post = { id: next('post'), authorId, text };
      posts.set(post.id, post);
      const audience = [...new Set([...followersOf(authorId), ...connectedTo(authorId)])];
      const payload = { author: person(authorId), postId: post.id, excerpt: text.slice(0, 120) };
      await send(newPostFromConnection.type, authorId, () =>
        herald.notify(newPostFromConnection, { to: audience, actor: authorId, payload }),
      );
      return post;
    },

    /** Every member hears of it — Herald leaves out the author, who is a member too. */
    async communityPost(authorId: string, communityId: string, text: string) {
      const community = communities.find((candidate) => candidate.id === communityId);
      if (!community) return undefined;
      const post = { id: next('post'), authorId, text, communityId };
      posts.set(post.id, post);
      const payload = {
        author: person(authorId),
        community: { id: community.id, name: community.name },
        postId: post.id,
        excerpt: text.slice(0, 120),
      };
      const result = await send(newCommunityPost.type, authorId, () =>
        herald.notify(newCommunityPost, { to: community.members, actor: authorId, payload }),
      );
      return { post, notificationId: result.id };
    },

    /** Reactions within the window reach the author as one digest. */
    async react(reactorId: string, postId: string, vibe: (typeof vibeOptions)[number]) {
      const post = posts.get(postId);
      if (!post) return undefined;
      const payload = { reactor: person(reactorId), postId, vibe };
      await send(vibeReactionOnPost.type, reactorId, () =>
        herald.notify(vibeReactionOnPost, { to: post.authorId, actor: reactorId, payload }),
      );
      return post;
    },

    async requestConnection(fromId: string, toId: string) {
      const request = { id: next('request'), from: fromId, to: toId };
      requests.set(request.id, request);
      await send(newConnectionRequest.type, fromId, () =>
        herald.notify(newConnectionRequest, {
          to: toId,
          actor: fromId,
          payload: { from: person(fromId), requestId: request.id },
        }),
      );
      return request;
    },

    async answer(userId: string, requestId: string, answer: 'accept' | 'reject') {
      const request = requests.get(requestId);
      if (!request || request.to !== userId) return undefined;
      requests.delete(requestId);
      if (answer === 'accept') connections.add(`${request.from}|${request.to}`);
      const definition = answer === 'accept' ? connectionAccepted : connectionRejected;
      await send(definition.type, userId, () =>
        herald.notify(definition, { to: request.from, actor: userId, payload: { by: person(userId) } }),
      );
      return request;
    },

    async story(authorId: string) {
      const storyId = next('story');
      await send(newStoryFromConnection.type, authorId, () =>
        herald.notify(newStoryFromConnection, {
          to: connectedTo(authorId),
          actor: authorId,
          payload: { author: person(authorId), storyId },
        }),
      );
      return { id: storyId };
    },
  };
}

export type Network = ReturnType<typeof createNetwork>;
