import type { SlotWithValue } from '../../services/secret-service';
import type { ConsoleSession } from '../session-service';
import { formatTime, typeWord } from '../format';
import { Csrf, Layout } from './layout';

/** A revealed value (after an explicit POST; audited as GetSecret). Rendered as text, never markup. */
export function RevealPage(props: { session: ConsoleSession; slot: SlotWithValue }) {
  const { metadata, value } = props.slot;
  const rows: Array<[string, string]> =
    'gitSecret' in value
      ? [
          ['Username', value.gitSecret.username],
          ['Token', value.gitSecret.token],
        ]
      : [
          [
            'Registry server',
            value.registrySecret.serverAddress === '' ? '(Docker Hub)' : value.registrySecret.serverAddress,
          ],
          ['Username', value.registrySecret.username],
          ['Password', value.registrySecret.password],
        ];
  return (
    <Layout title={`Value of ${metadata.name}`} section="slots" signedIn={props.session}>
      <p>
        A {typeWord(metadata.type)} slot, updated {formatTime(metadata.updatedAtMs)}. This reveal was recorded
        in the audit log.
      </p>
      <dl>
        {rows.map(([label, text]) => (
          <>
            <dt>{label}</dt>
            <dd>
              <div class="secret">{text}</div>
            </dd>
          </>
        ))}
      </dl>
      <p>
        <a href="/ui/slots">Back to slots</a>
      </p>
    </Layout>
  );
}

/** The confirmation step of a delete: nothing is deleted until this form is posted. */
export function DeleteConfirmPage(props: { session: ConsoleSession; name: string }) {
  return (
    <Layout title={`Delete ${props.name}?`} section="slots" signedIn={props.session}>
      <p>
        Deleting <strong>{props.name}</strong> removes its value for every consumer at once. This cannot be
        undone.
      </p>
      <form method="post" action={`/ui/slots/${encodeURIComponent(props.name)}/delete`} class="actions">
        <Csrf token={props.session.csrf} />
        <button type="submit" class="danger">
          Yes, delete {props.name}
        </button>
        <a href="/ui/slots">Cancel</a>
      </form>
    </Layout>
  );
}

/** A refusal or failure, as a page (the message is ours, rendered as text). */
export function ErrorPage(props: { session: ConsoleSession | undefined; title: string; message: string }) {
  return (
    <Layout title={props.title} section="none" signedIn={props.session}>
      <p class="error" role="alert">
        {props.message}
      </p>
      <p>
        <a href="/ui/slots">Back to slots</a>
      </p>
    </Layout>
  );
}
