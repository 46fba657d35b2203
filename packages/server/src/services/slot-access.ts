import type { Principal } from './context';

/**
 * THE one place the audit API and the console ask "may this caller see slot X?".
 * `slot` undefined means an entry or view that names no slot (a list call, a failed
 * authentication of this org): only a token that covers every slot may see those.
 *
 * Until slot grants land (issue 12) every token covers its whole org. At merge this becomes:
 *   slot === undefined ? principal.grants === undefined : slotAllowed(principal, slot)
 * (`slotAllowed` from ./grants), and nothing else changes.
 */
export function canSeeSlot(principal: Principal, slot: string | undefined): boolean {
  void principal;
  void slot;
  return true;
}

/** Whether every name of an entry's slot field (the registry lookup records a comma-separated list) is visible. */
export function canSeeSlotField(principal: Principal, slotField: string | undefined): boolean {
  if (slotField === undefined) return canSeeSlot(principal, undefined);
  return slotField.split(',').every((name) => canSeeSlot(principal, name));
}
