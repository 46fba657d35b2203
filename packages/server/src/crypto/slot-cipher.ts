import type { SecretType, SecretValue } from '@dodil/shared';
import { aad, open, seal } from './aead';
import type { RandomBytes } from './aead';

/** Where a sealed value belongs; every field is bound into the AAD. */
export interface SlotBinding {
  orgId: string;
  name: string;
  type: SecretType;
  keyVersion: number;
}

const slotAad = (b: SlotBinding) => aad('dodil.slot.v1', b.orgId, b.name, b.type, b.keyVersion);
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

/**
 * Seals a slot value under its org's data key. The AAD binds org, name, type
 * and key version, so a row copied to another org or name does not open.
 */
export function sealSlotValue(
  dek: Uint8Array,
  binding: SlotBinding,
  value: SecretValue,
  random: RandomBytes,
): Uint8Array {
  return seal(dek, encoder.encode(JSON.stringify(value)), slotAad(binding), random);
}

/** Opens a slot value sealed by {@link sealSlotValue} for the same binding. */
export function openSlotValue(dek: Uint8Array, binding: SlotBinding, ciphertext: Uint8Array): SecretValue {
  const plain = open(dek, ciphertext, slotAad(binding));
  const value = JSON.parse(decoder.decode(plain)) as SecretValue;
  const kind = 'gitSecret' in value ? 'git_secret' : 'registry_secret';
  if (kind !== binding.type) throw new Error('sealed value does not match its slot type');
  return value;
}
