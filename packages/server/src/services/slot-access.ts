import { slotAllowed } from './grants';
import type { Principal } from './context';

/**
 * THE one place the audit API and the console ask "may this caller see slot X?", on top of
 * `slotAllowed` (services/grants.ts). `slot` undefined means an entry or view that names no slot
 * (a list call, a console sign-in): only a token that covers every slot may see those.
 */
export function canSeeSlot(principal: Pick<Principal, 'grants'>, slot: string | undefined): boolean {
  return slot === undefined ? principal.grants === undefined : slotAllowed(principal, slot);
}

/** Whether every name of an entry's slot field (the registry lookup records a comma-separated list) is visible. */
export function canSeeSlotField(
  principal: Pick<Principal, 'grants'>,
  slotField: string | undefined,
): boolean {
  if (slotField === undefined) return canSeeSlot(principal, undefined);
  return slotField.split(',').every((name) => canSeeSlot(principal, name));
}
