// Every notification the social network sends, one per event, each with its own in-app and push template.
// The event names are the ones the app's mobile clients already know.
import { defineNotification } from '@herald/core';
import '@herald/fcm';
import { z } from 'zod';

const person = z.object({ id: z.string(), name: z.string() });

export const newPostFromConnection = defineNotification({
  type: 'new_post_from_connection',
  schema: z.object({ author: person, postId: z.string(), excerpt: z.string() }),
  channels: {
    inApp: ({ payload }) => ({
      title: `${payload.author.name} posted`,
      body: payload.excerpt,
      url: `/posts/${payload.postId}`,
    }),
    push: ({ payload }) => ({
      title: `${payload.author.name} posted`,
      body: payload.excerpt,
      data: { event: 'new_post_from_connection', postId: payload.postId },
    }),
  },
  previews: {
    default: { author: { id: 'ana', name: 'Ana' }, postId: 'post-1', excerpt: 'New personal best at the lake loop!' },
  },
});

export const vibeOptions = ['like', 'love', 'laugh', 'wow'] as const;

/** "Ana and 12 others reacted to your post": every reaction to one post within the window is one notification. */
function reactionTitle(firstName: string, people: number): string {
  if (people <= 1) return `${firstName} reacted to your post`;
  return `${firstName} and ${people - 1} ${people === 2 ? 'other' : 'others'} reacted to your post`;
}

type ReactionPayload = { reactor: { id: string; name: string }; postId: string; vibe: (typeof vibeOptions)[number] };
type ReactionDigest = {
  payload: ReactionPayload;
  events: { payload: ReactionPayload }[];
  digest: { count: number; actorIds: string[] };
};

/** The first reactor's name, and how many people reacted (distinct actors; each reaction counts in `count`). */
function summary({ payload, events, digest }: ReactionDigest) {
  const firstName = events[0]?.payload.reactor.name ?? payload.reactor.name;
  return { title: reactionTitle(firstName, Math.max(1, digest.actorIds.length)), count: digest.count };
}

export const vibeReactionOnPost = defineNotification({
  type: 'vibe_reaction_on_post',
  schema: z.object({ reactor: person, postId: z.string(), vibe: z.enum(vibeOptions) }),
  channels: {
    inApp: (context) => {
      const { title, count } = summary(context);
      return {
        title,
        body: count === 1 ? `A ${context.payload.vibe}` : `${count} reactions`,
        url: `/posts/${context.payload.postId}`,
        data: { count },
      };
    },
    push: (context) => {
      const { title, count } = summary(context);
      return {
        title,
        body: count === 1 ? `A ${context.payload.vibe} on your post` : `${count} reactions on your post`,
        data: { event: 'vibe_reaction_on_post', postId: context.payload.postId, count },
        collapseKey: `reactions-${context.payload.postId}`,
      };
    },
  },
  // Reactions to one post gather for 30 s after the latest, for at most 5 minutes.
  digest: { key: ({ payload }) => payload.postId, window: '30s', maxWindow: '5m', channels: ['inApp', 'push'] },
  previews: { default: { reactor: { id: 'ana', name: 'Ana' }, postId: 'post-1', vibe: 'love' } },
});

export const newConnectionRequest = defineNotification({
  type: 'new_connection_request',
  schema: z.object({ from: person, requestId: z.string() }),
  channels: {
    inApp: ({ payload }) => ({
      title: 'New connection request',
      body: `${payload.from.name} wants to connect`,
      url: `/connections/${payload.requestId}`,
    }),
    push: ({ payload }) => ({
      title: 'New connection request',
      body: `${payload.from.name} wants to connect`,
      data: { event: 'new_connection_request', requestId: payload.requestId },
    }),
  },
  previews: { default: { from: { id: 'ana', name: 'Ana' }, requestId: 'request-1' } },
});

export const connectionAccepted = defineNotification({
  type: 'connection_accepted',
  schema: z.object({ by: person }),
  channels: {
    inApp: ({ payload }) => ({
      title: 'Connection accepted',
      body: `${payload.by.name} accepted your connection request`,
    }),
    push: ({ payload }) => ({
      title: 'Connection accepted',
      body: `${payload.by.name} accepted your connection request`,
      data: { event: 'connection_accepted', userId: payload.by.id },
    }),
  },
  previews: { default: { by: { id: 'ana', name: 'Ana' } } },
});

export const connectionRejected = defineNotification({
  type: 'connection_rejected',
  schema: z.object({ by: person }),
  channels: {
    inApp: ({ payload }) => ({
      title: 'Connection declined',
      body: `${payload.by.name} declined your connection request`,
    }),
    push: ({ payload }) => ({
      title: 'Connection declined',
      body: `${payload.by.name} declined your connection request`,
      data: { event: 'connection_rejected', userId: payload.by.id },
    }),
  },
  previews: { default: { by: { id: 'ana', name: 'Ana' } } },
});

export const newCommunityPost = defineNotification({
  type: 'new_community_post',
  schema: z.object({
    author: person,
    community: z.object({ id: z.string(), name: z.string() }),
    postId: z.string(),
    excerpt: z.string(),
  }),
  channels: {
    inApp: ({ payload }) => ({
      title: `${payload.author.name} in ${payload.community.name}`,
      body: payload.excerpt,
      url: `/posts/${payload.postId}`,
    }),
    push: ({ payload }) => ({
      title: `${payload.author.name} in ${payload.community.name}`,
      body: payload.excerpt,
      data: { event: 'new_community_post', postId: payload.postId, communityId: payload.community.id },
    }),
  },
  previews: {
    default: {
      author: { id: 'ana', name: 'Ana' },
      community: { id: 'trail-runners', name: 'Trail runners' },
      postId: 'post-2',
      excerpt: 'Sunday long run, 7am at the lake',
    },
  },
});

export const newStoryFromConnection = defineNotification({
  type: 'new_story_from_connection',
  schema: z.object({ author: person, storyId: z.string() }),
  channels: {
    inApp: ({ payload }) => ({
      title: 'New story',
      body: `${payload.author.name} shared a story`,
      url: `/stories/${payload.storyId}`,
    }),
    push: ({ payload }) => ({
      title: 'New story',
      body: `${payload.author.name} shared a story`,
      data: { event: 'new_story_from_connection', storyId: payload.storyId },
      ttlSeconds: 86_400, // a story is gone after a day
    }),
  },
  previews: { default: { author: { id: 'ana', name: 'Ana' }, storyId: 'story-1' } },
});

export const notifications = [
  newPostFromConnection,
  vibeReactionOnPost,
  newConnectionRequest,
  connectionAccepted,
  connectionRejected,
  newCommunityPost,
  newStoryFromConnection,
] as const;
