import { createSecretRequestSchema, isSlotName } from '@dodil/shared';
import type { SecretType } from '@dodil/shared';
import { Hono } from 'hono';
import type { Context } from 'hono';
import { AppError } from '../errors/app-error';
import { callContext } from '../http/app-env';
import { parseWith } from '../edge/validation';
import type { SecretService } from '../services/secret-service';
import { field, parseUtc } from './format';
import { SlotFormPage } from './pages/slot-form-page';
import { DeleteConfirmPage, RevealPage } from './pages/slot-pages';
import { SlotsPage } from './pages/slots-page';
import { sendPage, seeOther } from './render';
import { listSlots } from './slot-filter';
import type { UiEnv } from './ui-env';

const TYPES: Record<string, SecretType> = { git: 'git_secret', registry: 'registry_secret' };
const DONE: Record<string, string> = { created: 'Created', rotated: 'Rotated', deleted: 'Deleted' };

const formType = (text: string | undefined): 'git' | 'registry' => (text === 'registry' ? 'registry' : 'git');

function slotName(c: Context<UiEnv>): string {
  const name = c.req.param('name') ?? '';
  if (!isSlotName(name)) throw new AppError('INVALID_ARGUMENT', 'no such slot name');
  return name;
}

function query(params: Record<string, string>): string {
  const kept = Object.entries(params).filter(([, v]) => v !== '');
  return kept.length === 0 ? '' : `?${new URLSearchParams(kept).toString()}`;
}

/** The slot pages: list with filter and paging, create, rotate, reveal, delete with confirmation. */
export function slotRoutes(secrets: SecretService) {
  return new Hono<UiEnv>()
    .get('/', async (c) => {
      const session = c.get('session');
      const form = {
        q: c.req.query('q') ?? '',
        type: c.req.query('type') ?? '',
        since: c.req.query('since') ?? '',
      };
      const after = c.req.query('after') ?? '';
      const done = DONE[c.req.query('done') ?? ''];
      const notice = done === undefined ? undefined : `${done} ${c.req.query('name') ?? ''}`;
      const since = parseUtc(form.since);
      const type = form.type === '' ? undefined : TYPES[form.type];
      let error: string | undefined;
      if (since === null) error = 'Updated since must be a date (YYYY-MM-DD).';
      if (form.type !== '' && type === undefined) error = 'Type must be git or registry.';
      if (form.q.length > 64) error = 'The name filter is at most 64 characters.';
      if (error !== undefined || !session.principal.scopes.has('ListSecrets')) {
        const props = { session, slots: undefined, form, nextHref: '', firstHref: undefined, error };
        return sendPage(c, <SlotsPage {...props} />, error === undefined ? 200 : 400);
      }
      const page = await listSlots(
        secrets,
        callContext(c),
        { q: form.q, type, updatedSinceMs: since ?? undefined },
        after,
      );
      const nextHref = page.next === '' ? '' : `/ui/slots${query({ ...form, after: page.next })}`;
      const firstHref = after === '' ? undefined : `/ui/slots${query(form)}`;
      return sendPage(
        c,
        <SlotsPage {...{ session, slots: page.slots, form, nextHref, firstHref, notice }} />,
      );
    })
    .get('/new', async (c) => {
      const props = { session: c.get('session'), type: formType(c.req.query('type')), rotating: undefined };
      return sendPage(c, <SlotFormPage {...props} form={{ name: '', username: '', serverAddress: '' }} />);
    })
    .post('/', async (c) => {
      const body = await c.req.parseBody({ all: true });
      const type = formType(field(body, 'type'));
      const rotate = field(body, 'rotate') === '1';
      const form = {
        name: field(body, 'name'),
        username: field(body, 'username'),
        serverAddress: field(body, 'serverAddress'),
      };
      const secret = field(body, 'secret');
      const value =
        type === 'git'
          ? { gitSecret: { username: form.username, token: secret } }
          : {
              registrySecret: {
                username: form.username,
                password: secret,
                serverAddress: form.serverAddress,
              },
            };
      try {
        // The API's own request schema: same names, limits and messages.
        const input = parseWith(createSecretRequestSchema, { name: form.name, value });
        await secrets.create(callContext(c), input);
      } catch (err) {
        if (!(err instanceof AppError) || err.code === 'UNAUTHENTICATED' || err.code === 'RESOURCE_EXHAUSTED')
          throw err;
        const rotating = rotate && isSlotName(form.name) ? form.name : undefined;
        const props = { session: c.get('session'), type, rotating, form, error: err.message };
        return sendPage(c, <SlotFormPage {...props} />, err.code === 'PERMISSION_DENIED' ? 403 : 400);
      }
      return seeOther(c, `/ui/slots${query({ done: rotate ? 'rotated' : 'created', name: form.name })}`);
    })
    .get('/:name/rotate', async (c) => {
      const props = { session: c.get('session'), type: formType(c.req.query('type')), rotating: slotName(c) };
      return sendPage(c, <SlotFormPage {...props} form={{ name: '', username: '', serverAddress: '' }} />);
    })
    .post('/:name/reveal', async (c) => {
      // An explicit click (a POST with the CSRF token); the service audits it as a GetSecret.
      const slot = await secrets.get(callContext(c), slotName(c));
      return sendPage(c, <RevealPage session={c.get('session')} slot={slot} />);
    })
    .get('/:name/delete', async (c) => {
      const session = c.get('session');
      const name = slotName(c);
      if (!session.principal.scopes.has('DeleteSecret')) {
        throw new AppError('PERMISSION_DENIED', 'this token lacks the DeleteSecret scope');
      }
      return sendPage(c, <DeleteConfirmPage session={session} name={name} />);
    })
    .post('/:name/delete', async (c) => {
      const name = slotName(c);
      await secrets.delete(callContext(c), name);
      return seeOther(c, `/ui/slots${query({ done: 'deleted', name })}`);
    });
}
