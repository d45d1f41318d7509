// The node has an API password: ask for it, POST /login (an HttpOnly session cookie), and let waiting calls go on.
import { html, useState } from './vendor/htm-preact-standalone.module.js';
import { login } from './api.js';
import { Dialog } from './dialog.js';

export function LoginDialog() {
  const [password, setPassword] = useState('');
  const [error, setError] = useState(null);
  const [busy, setBusy] = useState(false);
  const submit = async (event) => {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await login(password);
    } catch (e) {
      setError(e.message);
    } finally {
      setBusy(false);
    }
  };
  return html`<${Dialog} title="Log in to this node" onClose=${() => {}} testId="login-dialog">
    <form onSubmit=${submit}>
      <p>This node's API has a password.</p>
      <label class="block">Password
        <input type="password" value=${password} onInput=${(e) => setPassword(e.target.value)} autocomplete="current-password" required />
      </label>
      ${error ? html`<p class="form-error" role="alert">${error}</p>` : null}
      <div class="buttons"><button type="submit" class="primary" disabled=${busy}>Log in</button></div>
    </form>
  <//>`;
}
