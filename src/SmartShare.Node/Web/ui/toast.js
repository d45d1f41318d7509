// Readable messages for the user: every API error ends up here, none is swallowed.
import { html, useEffect, useState } from './vendor/htm-preact-standalone.module.js';

const listeners = new Set();
let nextId = 1;
let toasts = [];

function publish() {
  for (const listener of listeners) listener(toasts);
}

export function toast(message, kind = 'error') {
  const id = nextId++;
  toasts = [...toasts, { id, message: String(message), kind }];
  publish();
  setTimeout(() => dismiss(id), kind === 'error' ? 10000 : 4000);
}

export function showError(error) {
  toast(error?.message ?? String(error), 'error');
}

export function dismiss(id) {
  toasts = toasts.filter((t) => t.id !== id);
  publish();
}

export function Toasts() {
  const [list, setList] = useState(toasts);
  useEffect(() => {
    listeners.add(setList);
    return () => listeners.delete(setList);
  }, []);
  return html`<div class="toasts" role="status" aria-live="polite">
    ${list.map((t) => html`<div key=${t.id} class=${`toast toast-${t.kind}`} role=${t.kind === 'error' ? 'alert' : null}>
      <span>${t.message}</span>
      <button type="button" class="icon" aria-label="Dismiss message" onClick=${() => dismiss(t.id)}>×</button>
    </div>`)}
  </div>`;
}
