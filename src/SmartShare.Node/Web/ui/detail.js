// One transfer in detail: its facts, files (with play and download), peers, trackers and DHT state. Refreshed every
// 2 s from file_list {key} and transfer_peers {key} while open.
import { html, useEffect, useRef, useState } from './vendor/htm-preact-standalone.module.js';
import { rpc } from './api.js';
import { usePolling } from './poll.js';
import * as fmt from './format.js';
import { showError } from './toast.js';

const REFRESH_MS = 2000;
const MEDIA = /\.(mp4|m4v|webm|mkv|mov|ogv|ogg|mp3|m4a|aac|flac|wav|opus|oga)$/i;
const AUDIO = /\.(mp3|m4a|aac|flac|wav|opus|oga|ogg)$/i;

function useTransfer(key) {
  const [transfer, setTransfer] = useState(null);
  const [peers, setPeers] = useState(null);
  usePolling(async (alive) => {
    const [list, peerList] = await Promise.all([
      rpc('file_list', { key }),
      rpc('transfer_peers', { key }).catch((e) => ({ peers: [], note: e.message })),
    ]);
    if (!alive()) return;
    setTransfer(list.items?.[0] ?? null);
    setPeers(peerList);
  }, REFRESH_MS, [key]);
  return { transfer, peers, setTransfer };
}

// A torrent's file selection: file_set_files answers the transfer as it is now, shown at once.
async function setFiles(t, change, onChanged) {
  try {
    onChanged(await rpc('file_set_files', { key: t.key, ...change }));
  } catch (e) {
    showError(e);
  }
}

function Wanted({ t, file, index, name, onChanged }) {
  if (t.type !== 'torrent') return html`${file.wanted === false ? 'no' : 'yes'}`;
  const wanted = file.wanted !== false;
  return html`<input type="checkbox" checked=${wanted} aria-label=${`Download ${name}`} data-testid="file-wanted"
    onChange=${(event) => setFiles(t, event.currentTarget.checked ? { wanted: [index] } : { unwanted: [index] }, onChanged)} />`;
}

function Priority({ t, file, index, name, onChanged }) {
  const priority = file.priority ?? 'normal';
  if (t.type !== 'torrent') return html`${priority}`;
  return html`<select aria-label=${`Priority of ${name}`} data-testid="file-priority" value=${priority}
    onChange=${(event) => event.currentTarget.value !== 'off' && setFiles(t, { [`priority_${event.currentTarget.value}`]: [index] }, onChanged)}>
    ${priority === 'off' ? html`<option value="off">off</option>` : null}
    <option value="high">high</option><option value="normal">normal</option><option value="low">low</option>
  </select>`;
}

function Facts({ t }) {
  const p = t.progress ?? {};
  const facts = [
    ['Key', t.key],
    ['Type', t.type],
    ['State', fmt.stateLabel(t.state)],
    ['Direction', t.direction],
    ['Size', fmt.bytes(p.bytes_total)],
    ['Torrent size', t.total_length !== undefined && t.total_length !== p.bytes_total ? `${fmt.bytes(t.total_length)} (${t.wanted_files} of ${t.file_count ?? t.files?.length ?? '?'} files wanted)` : undefined],
    ['Have', `${fmt.bytes(p.bytes_have)} (${fmt.percent(p.fraction)})`],
    ['Uploaded', fmt.bytes(p.uploaded)],
    ['Ratio', fmt.ratio(p.ratio)],
    ['Peers', `${p.peers_connected ?? 0} connected, ${p.peers_known ?? 0} known`],
    ['Path', t.download_path],
    ['Stream name', t.stream_name],
    ['sd hash', t.sd_hash === t.key ? undefined : t.sd_hash],
    ['Blobs', t.blobs_in_stream !== undefined ? `${t.blobs_completed ?? 0} / ${t.blobs_in_stream}` : undefined],
    ['Info hash', t.info_hash === t.key ? undefined : t.info_hash],
    ['Pieces', t.pieces_total !== undefined ? `${t.pieces_have ?? '?'} / ${t.pieces_total}` : undefined],
    ['Piece length', t.piece_length ? fmt.bytes(t.piece_length) : undefined],
    ['Seeds', t.type === 'torrent' ? t.seeds : undefined],
    ['Private torrent', t.private_torrent === undefined ? undefined : t.private_torrent ? 'yes' : 'no'],
    ['Next announce', t.next_announce ? fmt.date(t.next_announce) : undefined],
    ['Tracker error', t.tracker_error],
    ['Private', t.private ? 'yes' : 'no'],
    ['Added', t.added_at ? fmt.date(t.added_at) : undefined],
    ['Error', t.error],
  ].filter(([, value]) => value !== undefined && value !== null && value !== '');
  return html`<dl class="facts">${facts.map(([name, value]) => html`<dt>${name}</dt><dd>${value}</dd>`)}</dl>`;
}

function Files({ t, onPlay, onChanged }) {
  const files = t.files ?? [];
  if (files.length === 0) return null;
  const isTorrent = t.type === 'torrent';
  return html`<section aria-label="Files"><h3>Files</h3>
    ${isTorrent ? html`<label class="hint"><input type="checkbox" checked=${t.sequential_download === true} data-testid="sequential"
      onChange=${(event) => setFiles(t, { sequential: event.currentTarget.checked }, onChanged)} /> Download in order (sequential)</label>` : null}
    <div class="scroll-x"><table class="mini">
      <thead><tr><th scope="col">File</th><th scope="col">Size</th><th scope="col">Have</th><th scope="col">Wanted</th><th scope="col">Priority</th></tr></thead>
      <tbody>${files.map((file, i) => {
        const index = file.index ?? i;
        const src = isTorrent ? `/stream/${t.key}/${index}` : `/stream/${t.key}`;
        const name = file.path ?? t.name;
        return html`<tr key=${index}>
          <td class="path" title=${name}>
            <div class="file-name">${name}</div>
            <div class="actions">
              ${MEDIA.test(name ?? '') ? html`<button type="button" onClick=${() => onPlay({ src, name })} aria-label=${`Play ${name}`}>Play</button>` : null}
              <a class="button" href=${src} download aria-label=${`Download ${name}`}>Download</a>
            </div>
          </td>
          <td>${fmt.bytes(file.length)}</td>
          <td>${fmt.bytes(file.bytes_have)}</td>
          <td><${Wanted} t=${t} file=${file} index=${index} name=${name} onChanged=${onChanged} /></td>
          <td><${Priority} t=${t} file=${file} index=${index} name=${name} onChanged=${onChanged} /></td>
        </tr>`;
      })}</tbody>
    </table></div>
    ${t.file_count > files.length ? html`<p class="hint" data-testid="files-more">The first ${files.length} of ${t.file_count} files; \`smartshare files ${t.key.slice(0, 12)}\` lists them all.</p>` : null}
    </section>`;
}

function Peers({ peers }) {
  if (!peers) return null;
  const list = peers.peers ?? [];
  return html`<section aria-label="Peers" data-testid="detail-peers"><h3>Peers (${list.length})</h3>
    ${peers.note ? html`<p class="hint">${peers.note}</p>` : null}
    ${list.length ? html`<div class="scroll-x"><table class="mini">
      <thead><tr><th scope="col">Address</th><th scope="col">Client</th><th scope="col">Down</th><th scope="col">Up</th><th scope="col">Progress</th></tr></thead>
      <tbody>${list.map((peer) => html`<tr key=${`${peer.address}:${peer.port}`} class="peer">
        <td>${peer.address}:${peer.port}</td><td>${peer.client ?? '—'}</td>
        <td>${fmt.rate(peer.download_rate)}</td><td>${fmt.rate(peer.upload_rate)}</td><td>${fmt.percent(peer.progress)}</td>
      </tr>`)}</tbody></table></div>` : null}
  </section>`;
}

function Trackers({ trackers }) {
  if (!Array.isArray(trackers) || trackers.length === 0) return null;
  const when = (seconds) => (seconds ? fmt.date(seconds) : '—');
  return html`<section aria-label="Trackers"><h3>Trackers</h3><div class="scroll-x"><table class="mini">
    <thead><tr><th scope="col">URL</th><th scope="col">Tier</th><th scope="col">Status</th><th scope="col">Seeders</th>
      <th scope="col">Leechers</th><th scope="col">Peers</th><th scope="col">Last announce</th><th scope="col">Next announce</th></tr></thead>
    <tbody>${trackers.map((tracker) => html`<tr key=${tracker.url}>
      <td class="path" title=${tracker.url}>${tracker.url}</td><td>${tracker.tier ?? '—'}</td>
      <td class=${tracker.error ? 'danger' : ''}>${tracker.error ?? tracker.status ?? (tracker.last_announce ? 'working' : 'not contacted')}</td>
      <td>${tracker.seeders ?? '—'}</td><td>${tracker.leechers ?? '—'}</td><td>${tracker.peers ?? '—'}</td>
      <td>${when(tracker.last_announce)}</td><td>${when(tracker.next_announce)}</td>
    </tr>`)}</tbody></table></div></section>`;
}

function Dht({ dht }) {
  if (!dht || typeof dht !== 'object') return null;
  return html`<section aria-label="DHT"><h3>DHT</h3><dl class="facts">
    ${Object.entries(dht).map(([name, value]) => html`<dt>${name}</dt><dd>${typeof value === 'object' ? JSON.stringify(value) : String(value)}</dd>`)}
  </dl></section>`;
}

function Player({ media, onClose }) {
  const Tag = AUDIO.test(media.name ?? '') ? 'audio' : 'video';
  return html`<section class="player" aria-label="Player">
    <div class="player-head"><h3>Playing ${media.name}</h3>
      <button type="button" class="icon" aria-label="Close player" onClick=${onClose}>×</button></div>
    <${Tag} controls autoplay src=${media.src} data-testid="player" onError=${() => showError(new Error(`${media.name} cannot be played here; download it instead.`))}></${Tag}>
  </section>`;
}

export function DetailPane({ transferKey, row, onClose }) {
  const { transfer, peers, setTransfer } = useTransfer(transferKey);
  const [media, setMedia] = useState(null);
  const closeButton = useRef(null);
  const t = transfer ?? row;
  useEffect(() => setMedia(null), [transferKey]);

  // Focus moves into the pane when it opens and back to what opened it when it closes; Escape closes it.
  useEffect(() => {
    const opener = document.activeElement;
    closeButton.current?.focus();
    return () => {
      if (opener && document.contains(opener)) opener.focus();
    };
  }, [transferKey]);
  const onKeyDown = (event) => {
    if (event.key === 'Escape' && !event.defaultPrevented) {
      event.preventDefault();
      onClose();
    }
  };

  if (!t) return null;
  return html`<aside class="detail" aria-label=${`Details of ${t.name}`} data-testid="detail-pane" onKeyDown=${onKeyDown}>
    <div class="detail-head">
      <h2 title=${t.name}>${t.name}</h2>
      <button type="button" class="icon" aria-label="Close details" ref=${closeButton} onClick=${onClose}>×</button>
    </div>
    ${media ? html`<${Player} media=${media} onClose=${() => setMedia(null)} />` : null}
    <${Facts} t=${t} />
    ${transfer ? html`<${Files} t=${transfer} onPlay=${setMedia} onChanged=${setTransfer} />` : null}
    <${Peers} peers=${peers} />
    <${Trackers} trackers=${transfer?.trackers} />
    <${Dht} dht=${transfer?.dht} />
  </aside>`;
}
