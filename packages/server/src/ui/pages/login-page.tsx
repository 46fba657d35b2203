import { ErrorBox, Layout } from './layout';

/** The sign-in form: an API token in a password field, posted to the server (never kept in the page). */
export function LoginPage(props: { error?: string | undefined; notice?: string | undefined }) {
  return (
    <Layout title="Sign in" section="none">
      <ErrorBox message={props.error} />
      {props.notice !== undefined && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
      <form class="stack" method="post" action="/ui/login">
        <label for="token">
          API token
          <span class="hint">
            The session is kept on the server; the token is never stored in this browser.
          </span>
          <input id="token" name="token" type="password" autocomplete="off" required spellcheck={false} />
        </label>
        <button type="submit">Sign in</button>
      </form>
    </Layout>
  );
}
