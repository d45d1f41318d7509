// Sharing a file: one the browser has (uploaded to the node, then shared from there) or a path on the node's
// machine; the result shows the smartshare: link and magnet with copy buttons and the files to download.
import { html, useState } from './vendor/htm-preact-standalone.module.js';
import { Dialog, CopyField } from './dialog.js';
import { rpc, upload } from './api.js';
import { bytes } from './format.js';
import { showError, toast } from './toast.js';

export function ShareDialog({ initialFile = null, onClose, onShared }) {
  const [file, setFile] = useState(initialFile);
  const [path, setPath] = useState('');
  const [isPrivate, setPrivate] = useState(false);
  const [torrent, setTorrent] = useState(false);
  const [progress, setProgress] = useState(null);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState(null);
  const [error, setError] = useState(null);

  const submit = async (event) => {
    event.preventDefault();
    if (!file && !path.trim()) {
      setError('Choose a file or type a path on the node\'s machine.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      let filePath = path.trim();
      if (file) {
        setProgress(0);
        const uploaded = await upload(file, setProgress);
        filePath = uploaded.path;
      }
      const shared = await rpc('stream_create', { file_path: filePath, private: isPrivate, torrent });
      setResult(shared);
      onShared?.(shared);
      toast(`Sharing ${shared.file_name ?? shared.name ?? file?.name ?? filePath}`, 'info');
    } catch (e) {
      setError(e.message);
      showError(e);
    } finally {
      setBusy(false);
    }
  };

  if (result) {
    return html`<${Dialog} title="Shared" onClose=${onClose} testId="share-dialog">
      <div class="share-result" data-testid="share-result">
        <p>Anyone with the link can download <strong>${result.file_name ?? result.stream_name ?? result.name}</strong>
          ${result.private ? ' (private: not announced; give the .smartshare file or link to whom you choose)' : ''}.</p>
        ${result.link ? html`<${CopyField} label="smartshare: link" value=${result.link} testId="share-link" />` : null}
        ${result.magnet ? html`<${CopyField} label="Magnet link" value=${result.magnet} testId="share-magnet" />` : null}
        <div class="buttons">
          ${result.sd_hash ? html`<a class="button" href=${`/smartshare/${result.sd_hash}`} download>Download .smartshare file</a>` : null}
          ${result.info_hash ? html`<a class="button" href=${`/torrent/${result.info_hash}`} download>Download .torrent file</a>` : null}
          <button type="button" onClick=${onClose}>Done</button>
        </div>
      </div>
    <//>`;
  }

  return html`<${Dialog} title="Share a file" onClose=${onClose} testId="share-dialog">
    <form class="share-form" onSubmit=${submit}>
      ${file
        ? html`<p class="chosen">File: <strong>${file.name}</strong> (${bytes(file.size)}), sent to the node, then shared.
            <button type="button" class="link" onClick=${() => setFile(null)}>Choose another way</button></p>`
        : html`<label class="block">File from this computer
            <input type="file" onChange=${(e) => setFile(e.target.files[0] ?? null)} />
          </label>
          <label class="block">…or a path on the node's machine
            <input type="text" value=${path} onInput=${(e) => setPath(e.target.value)} placeholder="/home/me/video.mp4"
              autocomplete="off" spellcheck=${false} />
          </label>`}
      <label class="switch"><input type="checkbox" role="switch" checked=${isPrivate} onChange=${(e) => setPrivate(e.target.checked)} />
        Private share (not announced on the DHT)</label>
      <label class="switch"><input type="checkbox" role="switch" checked=${torrent} onChange=${(e) => setTorrent(e.target.checked)} />
        Also share as a torrent (magnet link)</label>
      ${progress !== null && busy ? html`<div class="upload-progress">
          <progress max="1" value=${progress} aria-label="Upload progress"></progress>
          <span>${Math.round(progress * 100)}% sent</span></div>` : null}
      ${error ? html`<p class="form-error" role="alert">${error}</p>` : null}
      <div class="buttons">
        <button type="submit" class="primary" disabled=${busy}>${busy ? 'Sharing…' : 'Share'}</button>
        <button type="button" onClick=${onClose}>Cancel</button>
      </div>
    </form>
  <//>`;
}
