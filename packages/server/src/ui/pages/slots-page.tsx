import type { SlotMetadata } from '../../services/secret-service';
import type { ConsoleSession } from '../session-service';
import { formatTime, typeWord } from '../format';
import { Csrf, ErrorBox, Layout, Notice } from './layout';

/** What the slots page shows. */
export interface SlotsPageProps {
  session: ConsoleSession;
  slots: SlotMetadata[] | undefined;
  /** The filter as typed (echoed into the form). */
  form: { q: string; type: string; since: string };
  /** Query string of the next page, '' on the last. */
  nextHref: string;
  firstHref: string | undefined;
  notice?: string | undefined;
  error?: string | undefined;
}

function SlotRow(props: { slot: SlotMetadata; session: ConsoleSession }) {
  const { slot, session } = props;
  const scopes = session.principal.scopes;
  const path = `/ui/slots/${encodeURIComponent(slot.name)}`;
  return (
    <tr>
      <th scope="row">{slot.name}</th>
      <td>{typeWord(slot.type)}</td>
      <td>{formatTime(slot.createdAtMs)}</td>
      <td>{formatTime(slot.updatedAtMs)}</td>
      <td>
        <div class="actions">
          {scopes.has('GetSecret') && (
            <form method="post" action={`${path}/reveal`}>
              <Csrf token={session.csrf} />
              <button type="submit" class="link" aria-label={`Reveal ${slot.name}`}>
                Reveal
              </button>
            </form>
          )}
          {scopes.has('CreateSecret') && (
            <a href={`${path}/rotate?type=${typeWord(slot.type)}`} aria-label={`Rotate ${slot.name}`}>
              Rotate
            </a>
          )}
          {scopes.has('DeleteSecret') && (
            <a href={`${path}/delete`} aria-label={`Delete ${slot.name}`}>
              Delete
            </a>
          )}
        </div>
      </td>
    </tr>
  );
}

/** The slots list with its filter form, paging and per-slot actions the token may use. */
export function SlotsPage(props: SlotsPageProps) {
  const scopes = props.session.principal.scopes;
  return (
    <Layout title="Slots" section="slots" signedIn={props.session}>
      <Notice message={props.notice} />
      <ErrorBox message={props.error} />
      {scopes.has('CreateSecret') && (
        <p class="actions">
          <a href="/ui/slots/new?type=git">New git slot</a>
          <a href="/ui/slots/new?type=registry">New registry slot</a>
        </p>
      )}
      {!scopes.has('ListSecrets') ? (
        <p>This token may not list slots (it lacks the ListSecrets scope).</p>
      ) : (
        <>
          <form class="filters" method="get" action="/ui/slots" role="search" aria-label="Filter slots">
            <label for="q">
              Name contains
              <input id="q" name="q" type="search" value={props.form.q} maxlength={64} />
            </label>
            <label for="type">
              Type
              <select id="type" name="type">
                <option value="" selected={props.form.type === ''}>
                  any
                </option>
                <option value="git" selected={props.form.type === 'git'}>
                  git
                </option>
                <option value="registry" selected={props.form.type === 'registry'}>
                  registry
                </option>
              </select>
            </label>
            <label for="since">
              Updated since (UTC)
              <input id="since" name="since" type="date" value={props.form.since} />
            </label>
            <button type="submit">Filter</button>
          </form>
          {props.slots !== undefined && (
            <>
              <table>
                <caption class="hint">{`${props.slots.length} slot${props.slots.length === 1 ? '' : 's'} on this page`}</caption>
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Type</th>
                    <th scope="col">Created</th>
                    <th scope="col">Updated</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {props.slots.map((slot) => (
                    <SlotRow slot={slot} session={props.session} />
                  ))}
                </tbody>
              </table>
              <nav class="pager" aria-label="Pages">
                {props.firstHref !== undefined && <a href={props.firstHref}>First page</a>}
                {props.nextHref !== '' && <a href={props.nextHref}>Next page</a>}
              </nav>
            </>
          )}
        </>
      )}
    </Layout>
  );
}
