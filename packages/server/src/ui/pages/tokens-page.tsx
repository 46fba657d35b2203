import { ALL_SCOPES } from '@dodil/shared';
import type { ConsoleTokenInfo } from '../console-tokens';
import type { ConsoleSession } from '../session-service';
import { formatTime } from '../format';
import { Csrf, ErrorBox, Layout, Notice } from './layout';

/** Expiry choices of the create form (seconds; 0 = no expiry). */
export const EXPIRY_CHOICES: ReadonlyArray<[string, number]> = [
  ['1 hour', 3600],
  ['1 day', 86_400],
  ['30 days', 30 * 86_400],
  ['90 days', 90 * 86_400],
  ['never', 0],
];

/** Props of {@link TokensPage}. */
export interface TokensPageProps {
  session: ConsoleSession;
  tokens: ConsoleTokenInfo[];
  /** A token just created: shown once, here only. */
  created?: { id: string; token: string } | undefined;
  notice?: string | undefined;
  error?: string | undefined;
}

function TokenRow(props: { t: ConsoleTokenInfo; session: ConsoleSession }) {
  const { t, session } = props;
  const live = t.revokedAtMs === undefined;
  return (
    <tr>
      <th scope="row">
        <code>{t.id}</code>
      </th>
      <td>{t.name === '' ? '—' : t.name}</td>
      <td>{t.scopes.join(', ')}</td>
      <td>{t.slots.length === 0 ? 'all slots' : t.slots.join(', ')}</td>
      <td>{formatTime(t.createdAtMs)}</td>
      <td>{t.expiresAtMs === undefined ? 'never' : formatTime(t.expiresAtMs)}</td>
      <td>
        {!live ? (
          `revoked ${formatTime(t.revokedAtMs)}`
        ) : t.id === session.principal.tokenId ? (
          'this session'
        ) : (
          <form method="post" action={`/ui/tokens/${t.id}/revoke`}>
            <Csrf token={session.csrf} />
            <button type="submit" class="danger" aria-label={`Revoke token ${t.id}`}>
              Revoke
            </button>
          </form>
        )}
      </td>
    </tr>
  );
}

/** Tokens: list, create (shown once), revoke. Only scopes the caller holds are offered. */
export function TokensPage(props: TokensPageProps) {
  const mine = ALL_SCOPES.filter((s) => props.session.principal.scopes.has(s));
  return (
    <Layout title="Tokens" section="tokens" signedIn={props.session}>
      <Notice message={props.notice} />
      <ErrorBox message={props.error} />
      {props.created !== undefined && (
        <section aria-labelledby="new-token" class="notice">
          <h2 id="new-token">New token {props.created.id}</h2>
          <p>Copy it now: it is shown only this once.</p>
          <div class="secret" id="new-token-value">
            {props.created.token}
          </div>
        </section>
      )}
      <table>
        <caption class="hint">Tokens of this org</caption>
        <thead>
          <tr>
            <th scope="col">ID</th>
            <th scope="col">Name</th>
            <th scope="col">Scopes</th>
            <th scope="col">Slots</th>
            <th scope="col">Created</th>
            <th scope="col">Expires</th>
            <th scope="col">Status</th>
          </tr>
        </thead>
        <tbody>
          {props.tokens.map((t) => (
            <TokenRow t={t} session={props.session} />
          ))}
        </tbody>
      </table>
      <h2 id="create-token">Create a token</h2>
      <form class="stack" method="post" action="/ui/tokens" aria-labelledby="create-token">
        <Csrf token={props.session.csrf} />
        <label for="token-name">
          Name
          <input id="token-name" name="name" maxlength={128} />
        </label>
        <fieldset>
          <legend>Scopes</legend>
          {mine.map((s) => (
            <label for={`scope-${s}`}>
              <input type="checkbox" id={`scope-${s}`} name="scopes" value={s} />
              {s}
            </label>
          ))}
        </fieldset>
        <label for="token-slots">
          Slot grants
          <span class="hint" id="slots-hint">
            Comma-separated names or prefixes ending in * (gh-*); empty means every slot
          </span>
          <input id="token-slots" name="slots" aria-describedby="slots-hint" />
        </label>
        <label for="token-expiry">
          Expires after
          <select id="token-expiry" name="expiry">
            {EXPIRY_CHOICES.map(([label, seconds]) => (
              <option value={String(seconds)} selected={seconds === 30 * 86_400}>
                {label}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Create token</button>
      </form>
    </Layout>
  );
}
