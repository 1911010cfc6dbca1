/**
 * Every path the webhook process serves, in one table: the router (app.ts), the request metrics' route label
 * (a fixed set, so unknown paths cannot create series), the codec endpoint and the start-up banner read it.
 */
import type { Context } from 'koa';
import { HttpError } from '../http-error';
import { safeEqual } from '../lark/crypto';

export const ROUTES = {
  event: { method: 'POST', path: '/webhook/event', label: 'event' },
  card: { method: 'POST', path: '/webhook/card', label: 'card' },
  health: { method: 'GET', path: '/webhook/health', label: 'health' },
  oauthCallback: { method: 'GET', path: '/oauth/callback', label: 'oauth' },
  metrics: { method: 'GET', path: '/metrics', label: 'metrics' },
  codecEncode: { method: 'POST', path: '/codec/encode', label: 'codec' },
  codecDecode: { method: 'POST', path: '/codec/decode', label: 'codec' },
} as const;

export type RouteName = keyof typeof ROUTES;

const byPath = new Map<string, RouteName>(Object.entries(ROUTES).map(([name, r]) => [r.path, name as RouteName]));

/** The route a path belongs to, whatever the method (undefined: no such path). */
export function routeOfPath(path: string): RouteName | undefined {
  return byPath.get(path);
}

/** The metrics label of a path: a route's label, or 'other'. */
export function routeLabel(path: string): string {
  const name = routeOfPath(path);
  return name ? ROUTES[name].label : 'other';
}

/** `Authorization: Bearer <token>` compared in constant time; anything else is a 401 that names the scheme. */
export function requireBearer(ctx: Context, token: string): void {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(ctx.get('authorization'));
  if (!match || !safeEqual(match[1]!, token)) {
    ctx.set('WWW-Authenticate', 'Bearer');
    throw new HttpError(401, 'unauthorized', 'a valid bearer token is required');
  }
}
