import { normaliseRegistryHost } from '@dodil/shared';

/**
 * The slot mapped to a normalised registry key in the client config
 * (`mappings.docker`). Keys in the file are normalised too, so a hand-written
 * `"https://GHCR.io"` still matches `ghcr.io`; the first match wins.
 */
export function dockerMappingFor(
  mappings: Readonly<Record<string, string>>,
  key: string,
): string | undefined {
  for (const [host, slot] of Object.entries(mappings)) {
    if (normaliseRegistryHost(host) === key) return slot;
  }
  return undefined;
}
