// Adding transfers: a link or hash typed or pasted, a .torrent/.smartshare file picked or dropped anywhere on the
// window. Any other dropped or picked file opens the share dialog with it.
import { html, useEffect, useRef, useState } from './vendor/htm-preact-standalone.module.js';
import { rpc, fileToBase64 } from './api.js';
import { showError, toast } from './toast.js';

const ADDABLE = /\.(torrent|smartshare)$/i;

export async function addFile(file) {
  const content = await fileToBase64(file);
  const added = await rpc('get', { content_base64: content, content_name: file.name, timeout: 1 });
  toast(`Added ${added?.name ?? file.name}`, 'info');
  return added;
}

export async function addUri(uri) {
  const added = await rpc('get', { uri, timeout: 1 });
  toast(`Added ${added?.name ?? uri.slice(0, 60)}`, 'info');
  return added;
}

/** Adds the .torrent/.smartshare files and returns the first other file, to share. */
export async function handleFiles(files) {
  let toShare = null;
  for (const file of files) {
    if (ADDABLE.test(file.name)) {
      try {
        await addFile(file);
      } catch (e) {
        showError(e);
      }
    } else if (!toShare) {
      toShare = file;
    } else {
      toast(`Share one file at a time: ${file.name} was left out.`, 'info');
    }
  }
  return toShare;
}

export function AddBar({ onShare, onAdded }) {
  const [uri, setUri] = useState('');
  const [busy, setBusy] = useState(false);
  const picker = useRef(null);

  const submit = async (event) => {
    event.preventDefault();
    const text = uri.trim();
    if (!text) return;
    setBusy(true);
    try {
      await addUri(text);
      setUri('');
      onAdded?.();
    } catch (e) {
      showError(e);
    } finally {
      setBusy(false);
    }
  };

  const picked = async (event) => {
    const files = [...event.target.files];
    event.target.value = '';
    const toShare = await handleFiles(files);
    onAdded?.();
    if (toShare) onShare(toShare);
  };

  return html`<form class="add-bar" onSubmit=${submit} role="search" aria-label="Add a transfer">
    <label class="visually-hidden" for="add-uri">Magnet link, smartshare: link or sd hash</label>
    <input id="add-uri" type="text" value=${uri} onInput=${(e) => setUri(e.target.value)} autocomplete="off"
      spellcheck=${false} placeholder="Paste a magnet, smartshare: link or sd hash" />
    <button type="submit" class="primary" disabled=${busy}>Add</button>
    <button type="button" onClick=${() => picker.current.click()} title="Open a .torrent or .smartshare file">Open file…</button>
    <input ref=${picker} type="file" multiple class="visually-hidden" tabindex="-1" aria-hidden="true" onChange=${picked} />
    <button type="button" onClick=${() => onShare(null)}>Share…</button>
  </form>`;
}

/** The whole window is a drop zone: an overlay says so while files are dragged over it. */
export function DropZone({ onShare, onAdded }) {
  const [active, setActive] = useState(false);
  const depth = useRef(0);

  useEffect(() => {
    const hasFiles = (e) => [...(e.dataTransfer?.types ?? [])].includes('Files');
    const enter = (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth.current++;
      setActive(true);
    };
    const over = (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      e.dataTransfer.dropEffect = 'copy';
    };
    const leave = () => {
      depth.current = Math.max(0, depth.current - 1);
      if (depth.current === 0) setActive(false);
    };
    const drop = async (e) => {
      if (!hasFiles(e)) return;
      e.preventDefault();
      depth.current = 0;
      setActive(false);
      const toShare = await handleFiles([...e.dataTransfer.files]);
      onAdded?.();
      if (toShare) onShare(toShare);
    };
    window.addEventListener('dragenter', enter);
    window.addEventListener('dragover', over);
    window.addEventListener('dragleave', leave);
    window.addEventListener('drop', drop);
    return () => {
      window.removeEventListener('dragenter', enter);
      window.removeEventListener('dragover', over);
      window.removeEventListener('dragleave', leave);
      window.removeEventListener('drop', drop);
    };
  }, []);

  return active ? html`<div class="drop-overlay" aria-hidden="true">
    <p>Drop a <strong>.torrent</strong> or <strong>.smartshare</strong> file to download it, any other file to share it.</p>
  </div>` : null;
}
