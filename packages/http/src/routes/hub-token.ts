/**
 * The continuation token of a list over several task hubs (the orchestration REST facade's
 * `taskHubNames`): which hub of the list is next, and that hub's own token.
 */
import { badRequest } from '../errors.js';

export interface HubPosition {
  hub: number;
  token?: string;
}

export function encodeHubToken(position: HubPosition): string {
  return `h.${Buffer.from(JSON.stringify(position.token === undefined ? [position.hub] : [position.hub, position.token])).toString('base64url')}`;
}

export function decodeHubToken(token: string, hubCount: number): HubPosition {
  if (token.startsWith('h.')) {
    try {
      const parsed: unknown = JSON.parse(Buffer.from(token.slice(2), 'base64url').toString('utf8'));
      if (Array.isArray(parsed) && Number.isInteger(parsed[0]) && parsed[0] >= 0 && parsed[0] < hubCount) {
        if (parsed.length === 1) return { hub: parsed[0] as number };
        if (parsed.length === 2 && typeof parsed[1] === 'string') return { hub: parsed[0] as number, token: parsed[1] };
      }
    } catch {
      // fall through
    }
  }
  throw badRequest('continuationToken is not a token this API returned');
}
