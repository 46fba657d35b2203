import type { ConsoleSession } from '../session-service';
import { Csrf, ErrorBox, Layout } from './layout';

/** Props of {@link SlotFormPage}. */
export interface SlotFormProps {
  session: ConsoleSession;
  type: 'git' | 'registry';
  /** Set when rotating an existing slot (its name is fixed). */
  rotating: string | undefined;
  /** Non-secret fields as typed, to refill the form after an error; the value never comes back. */
  form: { name: string; username: string; serverAddress: string };
  error?: string | undefined;
}

/**
 * Create or rotate a slot. The value field is write-only: a password input that is never
 * filled in by the server, not even after an error.
 */
export function SlotFormPage(props: SlotFormProps) {
  const git = props.type === 'git';
  const title = props.rotating !== undefined ? `Rotate ${props.rotating}` : `New ${props.type} slot`;
  return (
    <Layout title={title} section="slots" signedIn={props.session}>
      <ErrorBox message={props.error} />
      <form class="stack" method="post" action="/ui/slots">
        <Csrf token={props.session.csrf} />
        <input type="hidden" name="type" value={props.type} />
        {props.rotating !== undefined && <input type="hidden" name="rotate" value="1" />}
        <label for="name">
          Name
          <span class="hint" id="name-hint">
            1–64 characters of A–Z, a–z, 0–9, - and _
          </span>
          <input
            id="name"
            name="name"
            required
            maxlength={64}
            pattern="[A-Za-z0-9_\-]{1,64}"
            aria-describedby="name-hint"
            value={props.rotating ?? props.form.name}
            readonly={props.rotating !== undefined}
          />
        </label>
        {!git && (
          <label for="serverAddress">
            Registry server
            <span class="hint" id="server-hint">
              host[:port]; empty means Docker Hub
            </span>
            <input
              id="serverAddress"
              name="serverAddress"
              maxlength={255}
              value={props.form.serverAddress}
              aria-describedby="server-hint"
            />
          </label>
        )}
        <label for="username">
          Username
          <input
            id="username"
            name="username"
            required
            maxlength={256}
            autocomplete="off"
            value={props.form.username}
          />
        </label>
        <label for="secret">
          {git ? 'Token' : 'Password'}
          <span class="hint" id="secret-hint">
            Write-only: it is stored encrypted and never shown here again.
          </span>
          <input
            id="secret"
            name="secret"
            type="password"
            required
            autocomplete="new-password"
            aria-describedby="secret-hint"
          />
        </label>
        <div class="actions">
          <button type="submit">{props.rotating !== undefined ? 'Rotate' : 'Create'}</button>
          <a href="/ui/slots">Cancel</a>
        </div>
      </form>
    </Layout>
  );
}
