// Modal dialogs on the native <dialog>: showModal() makes the rest of the page inert (focus stays inside), Escape
// closes, and focus goes back to where it was.
import { html, useEffect, useRef } from './vendor/htm-preact-standalone.module.js';

let nextId = 1;

export function Dialog({ title, onClose, children, className = '', testId }) {
  const ref = useRef(null);
  const close = useRef(onClose);
  close.current = onClose;
  const id = useRef(`dialog-title-${nextId++}`);

  useEffect(() => {
    const dialog = ref.current;
    const previous = document.activeElement;
    if (!dialog.open) dialog.showModal();
    const onCancel = (event) => {
      event.preventDefault();
      close.current?.();
    };
    dialog.addEventListener('cancel', onCancel);
    return () => {
      dialog.removeEventListener('cancel', onCancel);
      if (dialog.open) dialog.close();
      if (previous && document.contains(previous)) previous.focus();
    };
  }, []);

  return html`<dialog ref=${ref} class=${`dialog ${className}`} aria-labelledby=${id.current} data-testid=${testId}>
    <div class="dialog-head">
      <h2 id=${id.current}>${title}</h2>
      <button type="button" class="icon" aria-label="Close" onClick=${() => close.current?.()}>×</button>
    </div>
    <div class="dialog-body">${children}</div>
  </dialog>`;
}

/** A read-only text with a Copy button: the clipboard API, or the text selected for Ctrl+C where it is refused. */
export function CopyField({ label, value, testId }) {
  const input = useRef(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
      input.current.dataset.copied = 'yes';
    } catch {
      input.current.focus();
      input.current.select();
      try {
        document.execCommand('copy');
      } catch {
        // The text stays selected for the user to copy.
      }
    }
  };
  return html`<div class="copy-field">
    <label>${label}
      <input ref=${input} type="text" readonly value=${value} data-testid=${testId} onFocus=${(e) => e.target.select()} />
    </label>
    <button type="button" onClick=${copy} aria-label=${`Copy ${label}`}>Copy</button>
  </div>`;
}

/** Asks how to remove a transfer: keep its data or delete it from disk. */
export function RemoveDialog({ row, onDone, onClose }) {
  return html`<${Dialog} title="Remove transfer" onClose=${onClose} testId="remove-dialog">
    <p>Remove <strong>${row.name}</strong> from the list?</p>
    <p class="hint">Keeping the data leaves the downloaded or shared file where it is.</p>
    <div class="buttons">
      <button type="button" onClick=${() => onDone(false)}>Remove, keep data</button>
      <button type="button" class="danger" onClick=${() => onDone(true)}>Remove and delete data</button>
      <button type="button" onClick=${onClose}>Cancel</button>
    </div>
  <//>`;
}
