import type { AuditView } from '../../audit/audit-query-service';
import type { ConsoleSession } from '../session-service';
import { formatTime } from '../format';
import { ErrorBox, Layout } from './layout';

/** Actions offered in the filter (any other can still be typed into the API). */
export const AUDIT_ACTIONS = [
  'CreateSecret',
  'GetSecret',
  'ListSecrets',
  'DeleteSecret',
  'FindRegistrySecrets',
  'ReadAudit',
  'ConsoleSignIn',
  'ConsoleSignOut',
] as const;

/** Props of {@link AuditPage}. */
export interface AuditPageProps {
  session: ConsoleSession;
  entries: AuditView[];
  form: { slot: string; action: string; since: string; until: string };
  nextHref: string;
  firstHref: string | undefined;
  error?: string | undefined;
}

/** The org's audit entries, newest first, filtered by slot, action and time (from the audit API's service). */
export function AuditPage(props: AuditPageProps) {
  const f = props.form;
  return (
    <Layout title="Audit" section="audit" signedIn={props.session}>
      <ErrorBox message={props.error} />
      <form class="filters" method="get" action="/ui/audit" role="search" aria-label="Filter audit entries">
        <label for="audit-slot">
          Slot
          <input id="audit-slot" name="slot" maxlength={64} value={f.slot} />
        </label>
        <label for="audit-action">
          Action
          <select id="audit-action" name="action">
            <option value="" selected={f.action === ''}>
              any
            </option>
            {AUDIT_ACTIONS.map((a) => (
              <option value={a} selected={f.action === a}>
                {a}
              </option>
            ))}
          </select>
        </label>
        <label for="audit-since">
          From (UTC)
          <input id="audit-since" name="since" type="datetime-local" value={f.since} />
        </label>
        <label for="audit-until">
          Until (UTC)
          <input id="audit-until" name="until" type="datetime-local" value={f.until} />
        </label>
        <button type="submit">Filter</button>
      </form>
      <table>
        <caption class="hint">{`${props.entries.length} entries on this page, newest first`}</caption>
        <thead>
          <tr>
            <th scope="col">#</th>
            <th scope="col">Time</th>
            <th scope="col">Action</th>
            <th scope="col">Slot</th>
            <th scope="col">Outcome</th>
            <th scope="col">Token</th>
            <th scope="col">Client</th>
          </tr>
        </thead>
        <tbody>
          {props.entries.map((e) => (
            <tr>
              <td>{String(e.seq)}</td>
              <td>{formatTime(e.timeMs)}</td>
              <td>{e.action}</td>
              <td>{e.slot ?? '—'}</td>
              <td>{e.code}</td>
              <td>{e.tokenId === undefined ? '—' : <code>{e.tokenId}</code>}</td>
              <td>{e.clientAddress}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <nav class="pager" aria-label="Pages">
        {props.firstHref !== undefined && <a href={props.firstHref}>Newest entries</a>}
        {props.nextHref !== '' && <a href={props.nextHref}>Older entries</a>}
      </nav>
    </Layout>
  );
}
