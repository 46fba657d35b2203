// No zod here: the credential helper's hot path checks names with this module alone.
/** The slot-name rule of docs/contract.md#slots: 1–64 of `A-Z a-z 0-9 - _`, case-sensitive. */
export const SLOT_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;

/** The rule in words, used verbatim in every INVALID_ARGUMENT about a name. */
export const SLOT_NAME_RULE = 'a slot name is 1-64 characters of A-Z, a-z, 0-9, "-" and "_"';

/** True when `name` is a valid slot name. */
export function isSlotName(name: string): boolean {
  return SLOT_NAME_PATTERN.test(name);
}
