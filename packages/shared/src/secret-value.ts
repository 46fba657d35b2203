import { z } from 'zod';
import { LIMITS, utf8Length } from './limits';

/** A git credential: username and personal access token. */
export interface GitSecret {
  username: string;
  token: string;
}

/** A container-registry login; an empty `serverAddress` means Docker Hub. */
export interface RegistrySecret {
  username: string;
  password: string;
  serverAddress: string;
}

/** The oneof `SecretValue`: exactly one variant is present. */
export type SecretValue = { gitSecret: GitSecret } | { registrySecret: RegistrySecret };

/** The type discriminator stored and reported in metadata. */
export type SecretType = 'git_secret' | 'registry_secret';

/** The discriminator of a value. */
export function secretTypeOf(value: SecretValue): SecretType {
  return 'gitSecret' in value ? 'git_secret' : 'registry_secret';
}

/** The CLI's word for a type (`git` / `registry`). */
export function cliTypeName(type: SecretType): 'git' | 'registry' {
  return type === 'git_secret' ? 'git' : 'registry';
}

// CR, LF and NUL can never be part of a username, a git token or a host: git's
// credential protocol is line-based and would let such a value inject lines.
const NO_LINE_BREAKS = /^[^\r\n\0]*$/;

function boundedText(field: string, maxBytes: number, opts: { allowEmpty: boolean; singleLine: boolean }) {
  return z.string({ error: `${field} must be a string` }).superRefine((value, ctx) => {
    if (!opts.allowEmpty && value.length === 0) {
      ctx.addIssue({ code: 'custom', message: `${field} must not be empty` });
    }
    if (utf8Length(value) > maxBytes) {
      ctx.addIssue({ code: 'custom', message: `${field} must be at most ${maxBytes} bytes` });
    }
    if (opts.singleLine && !NO_LINE_BREAKS.test(value)) {
      ctx.addIssue({ code: 'custom', message: `${field} must not contain line breaks or NUL` });
    }
  });
}

const username = (path: string) =>
  boundedText(`${path}.username`, LIMITS.usernameBytes, { allowEmpty: false, singleLine: true });

/**
 * Reads one of two spellings of a field (proto-JSON accepts the camelCase JSON
 * name and the original snake_case name); both at once is ambiguous and refused.
 */
function pickSpelling(
  raw: Record<string, unknown>,
  camel: string,
  snake: string,
  ctx: z.RefinementCtx,
): unknown {
  const hasCamel = camel in raw;
  const hasSnake = snake in raw;
  if (hasCamel && hasSnake) {
    ctx.addIssue({ code: 'custom', message: `give ${camel} or ${snake}, not both` });
  }
  return hasCamel ? raw[camel] : raw[snake];
}

const gitSecretInput = z.strictObject({
  username: username('gitSecret'),
  token: boundedText('gitSecret.token', LIMITS.secretBytes, { allowEmpty: false, singleLine: true }),
});

const registryFields = z.strictObject({
  username: username('registrySecret'),
  // A registry password may be a whole JSON key file, so line breaks are allowed.
  password: boundedText('registrySecret.password', LIMITS.secretBytes, {
    allowEmpty: false,
    singleLine: false,
  }),
  serverAddress: boundedText('registrySecret.serverAddress', LIMITS.serverAddressBytes, {
    allowEmpty: true,
    singleLine: true,
  }).optional(),
});

const registrySecretInput = z
  .record(z.string(), z.unknown(), { error: 'registrySecret must be an object' })
  .transform((raw, ctx) => {
    const { server_address: _snake, serverAddress: _camel, ...rest } = raw;
    const serverAddress = pickSpelling(raw, 'serverAddress', 'server_address', ctx);
    const candidate = serverAddress === undefined ? rest : { ...rest, serverAddress };
    const parsed = registryFields.safeParse(candidate);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message });
      return z.NEVER;
    }
    const value: RegistrySecret = {
      username: parsed.data.username,
      password: parsed.data.password,
      serverAddress: parsed.data.serverAddress ?? '',
    };
    return value;
  });

function copyIssues(ctx: z.RefinementCtx, prefix: string, issues: readonly z.core.$ZodIssue[]): void {
  for (const issue of issues) {
    const message = issue.message.startsWith(prefix) ? issue.message : `${prefix}: ${issue.message}`;
    ctx.addIssue({ code: 'custom', message });
  }
}

/**
 * The `value` oneof of CreateSecret, accepting camelCase and snake_case keys.
 * Exactly one variant must be set; both or neither is refused.
 */
export const secretValueInputSchema = z
  .record(z.string(), z.unknown(), { error: 'value must be an object with gitSecret or registrySecret' })
  .transform((raw, ctx): SecretValue => {
    const allowed = new Set(['gitSecret', 'git_secret', 'registrySecret', 'registry_secret']);
    for (const key of Object.keys(raw)) {
      if (!allowed.has(key)) ctx.addIssue({ code: 'custom', message: `unknown field value.${key}` });
    }
    const git = pickSpelling(raw, 'gitSecret', 'git_secret', ctx);
    const registry = pickSpelling(raw, 'registrySecret', 'registry_secret', ctx);
    if ((git === undefined) === (registry === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'value must set exactly one of gitSecret or registrySecret' });
      return z.NEVER;
    }
    if (git !== undefined) {
      const parsed = gitSecretInput.safeParse(git);
      if (parsed.success) return { gitSecret: parsed.data };
      copyIssues(ctx, 'gitSecret', parsed.error.issues);
      return z.NEVER;
    }
    const parsed = registrySecretInput.safeParse(registry);
    if (parsed.success) return { registrySecret: parsed.data };
    copyIssues(ctx, 'registrySecret', parsed.error.issues);
    return z.NEVER;
  });
