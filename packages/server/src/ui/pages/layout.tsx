import type { Child } from 'hono/jsx';
import type { Principal } from '../../services/context';

/** Which top-level page is showing (for `aria-current`). */
export type Section = 'slots' | 'tokens' | 'audit' | 'none';

/** Props of {@link Layout}. */
export interface LayoutProps {
  title: string;
  section: Section;
  /** Absent on the sign-in page. */
  signedIn?: { principal: Principal; csrf: string } | undefined;
  children?: Child;
}

function NavLink(props: { href: string; here: boolean; children: Child }) {
  return (
    <li>
      <a href={props.href} aria-current={props.here ? 'page' : undefined}>
        {props.children}
      </a>
    </li>
  );
}

/**
 * The page frame: a skip link, a header landmark with the navigation (only the sections the
 * token may use), the sign-out form, and one main landmark holding the page's h1.
 */
export function Layout(props: LayoutProps) {
  const s = props.signedIn;
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · dodil console`}</title>
        <link rel="stylesheet" href="/ui/assets/console.css" />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <header>
          <span class="brand">dodil console</span>
          {s !== undefined && (
            <>
              <nav aria-label="Main">
                <ul>
                  <NavLink href="/ui/slots" here={props.section === 'slots'}>
                    Slots
                  </NavLink>
                  {s.principal.scopes.has('ManageTokens') && (
                    <NavLink href="/ui/tokens" here={props.section === 'tokens'}>
                      Tokens
                    </NavLink>
                  )}
                  {s.principal.scopes.has('ReadAudit') && (
                    <NavLink href="/ui/audit" here={props.section === 'audit'}>
                      Audit
                    </NavLink>
                  )}
                </ul>
              </nav>
              <span class="who">
                org <strong>{s.principal.orgName}</strong>, token <code>{s.principal.tokenId}</code>
              </span>
              <form method="post" action="/ui/logout">
                <input type="hidden" name="csrf" value={s.csrf} />
                <button type="submit">Sign out</button>
              </form>
            </>
          )}
        </header>
        <main id="main">
          <h1>{props.title}</h1>
          {props.children}
        </main>
      </body>
    </html>
  );
}

/** A hidden CSRF field for a form. */
export function Csrf(props: { token: string }) {
  return <input type="hidden" name="csrf" value={props.token} />;
}

/** An error box announced to screen readers. */
export function ErrorBox(props: { message: string | undefined }) {
  return props.message === undefined ? null : (
    <p class="error" role="alert">
      {props.message}
    </p>
  );
}

/** A success note announced politely. */
export function Notice(props: { message: string | undefined }) {
  return props.message === undefined ? null : (
    <p class="notice" role="status">
      {props.message}
    </p>
  );
}
