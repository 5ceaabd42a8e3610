// The seeded people of the demo desk, with their roles. In a real app this is your users table.

import type { Recipient } from '@herald/core';

export type Role = 'agent' | 'manager' | 'reporter';

export interface User {
  id: string;
  name: string;
  role: Role;
  email: string;
  /** E.164; reporters have none here, so their WhatsApp deliveries are skipped with a reason. */
  phone?: string;
}

export const users: readonly User[] = [
  { id: 'maya', name: 'Maya Manager', role: 'manager', email: 'maya@desk.test', phone: '+15550100010' },
  { id: 'omar', name: 'Omar Manager', role: 'manager', email: 'omar@desk.test', phone: '+15550100011' },
  { id: 'alex', name: 'Alex Agent', role: 'agent', email: 'alex@desk.test', phone: '+15550100020' },
  { id: 'bea', name: 'Bea Agent', role: 'agent', email: 'bea@desk.test', phone: '+15550100021' },
  { id: 'rita', name: 'Rita Reporter', role: 'reporter', email: 'rita@customer.test' },
  { id: 'sam', name: 'Sam Reporter', role: 'reporter', email: 'sam@customer.test' },
];

export function findUser(id: string | undefined): User | undefined {
  return users.find((user) => user.id === id);
}

export function usersWithRole(role: Role): User[] {
  return users.filter((user) => user.role === role);
}

/** Herald asks for recipients by id; this is the whole lookup. */
export function resolveRecipients(ids: readonly string[]): Recipient[] {
  return users
    .filter((user) => ids.includes(user.id))
    .map(({ id, name, email, phone }) => (phone === undefined ? { id, name, email } : { id, name, email, phone }));
}
