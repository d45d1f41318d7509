// The one list of transfers, streams and torrents alike. Virtualized: rows have a fixed height and only the visible
// window (plus a margin) is in the DOM, so thousands of transfers scroll smoothly; a row re-renders only when its
// object changed (the store replaces a row's object when an event changes it).
import { html, Component, useEffect, useRef, useState } from './vendor/htm-preact-standalone.module.js';
import * as fmt from './format.js';
import { PauseIcon, PlayIcon, RemoveIcon } from './icons.js';

export const ROW_HEIGHT = 48;
const MARGIN_ROWS = 10;

export const COLUMNS = [
  { id: 'name', label: 'Name' },
  { id: 'type', label: 'Type', narrow: true },
  { id: 'size', label: 'Size' },
  { id: 'progress', label: 'Progress' },
  { id: 'state', label: 'State' },
  { id: 'down', label: 'Down', narrow: true },
  { id: 'up', label: 'Up', narrow: true },
  { id: 'eta', label: 'ETA', narrow: true },
  { id: 'peers', label: 'Peers', narrow: true },
  { id: 'ratio', label: 'Ratio', narrow: true },
];

function Header({ sort, descending, onSort }) {
  return html`<div class="row header-row" role="row" aria-rowindex="1">
    ${COLUMNS.map((column) => {
      const active = sort === column.id;
      const ariaSort = active ? (descending ? 'descending' : 'ascending') : 'none';
      return html`<div key=${column.id} role="columnheader" aria-sort=${ariaSort} class=${`cell col-${column.id}`}>
        <button type="button" class="sort" onClick=${() => onSort(column.id)}
          aria-label=${`Sort by ${column.label}${active ? (descending ? ', now descending' : ', now ascending') : ''}`}>
          ${column.label}<span aria-hidden="true">${active ? (descending ? ' ▼' : ' ▲') : ''}</span>
        </button>
      </div>`;
    })}
    <div role="columnheader" class="cell col-actions"><span class="visually-hidden">Actions</span></div>
  </div>`;
}

class Row extends Component {
  shouldComponentUpdate(next) {
    return next.row !== this.props.row || next.selected !== this.props.selected || next.index !== this.props.index;
  }

  render({ row, index, selected, onSelect, actions }) {
    const p = row.progress ?? {};
    const stopped = row.state === 'stopped' || row.state === 'failed';
    // A complete stream is served from its blobs and has nothing to pause; a torrent stops seeding.
    const fraction = p.fraction ?? (row.state === 'seeding' || row.state === 'completed' ? 1 : 0);
    return html`<div class=${`row transfer-row state-${row.state}${index % 2 ? ' odd' : ''}${selected ? ' selected' : ''}`} role="row"
        aria-rowindex=${index + 2} aria-current=${selected ? 'true' : null} data-key=${row.key}
        style=${{ transform: `translateY(${index * ROW_HEIGHT}px)` }}>
      <div role="cell" class="cell col-name">
        <div class="name-line">
          <button type="button" class="link name" onClick=${() => onSelect(row.key)} title=${row.name}
            aria-label=${`${row.name}: details`}>${row.name}</button>
          ${row.private ? html`<span class="badge" title="Private: not announced">private</span>` : null}
          ${row.direction === 'share' ? html`<span class="badge share">shared</span>` : null}
        </div>
        ${row.error ? html`<div class="row-error" title=${row.error}>${row.error}</div>` : null}
      </div>
      <div role="cell" class="cell col-type">${row.type}</div>
      <div role="cell" class="cell col-size">${fmt.bytes(p.bytes_total)}</div>
      <div role="cell" class="cell col-progress">
        <div class="bar" role="progressbar" aria-label=${`Progress of ${row.name}`} aria-valuemin="0" aria-valuemax="100"
          aria-valuenow=${Math.round(fraction * 100)}><span style=${{ width: `${Math.min(100, fraction * 100)}%` }}></span></div>
        <span class="pct">${fmt.percent(p.fraction ?? (fraction === 1 ? 1 : null))}</span>
      </div>
      <div role="cell" class="cell col-state">${fmt.stateLabel(row.state)}</div>
      <div role="cell" class="cell col-down">${fmt.rate(p.download_rate)}</div>
      <div role="cell" class="cell col-up">${fmt.rate(p.upload_rate)}</div>
      <div role="cell" class="cell col-eta">${fmt.eta(p.eta_seconds)}</div>
      <div role="cell" class="cell col-peers">${p.peers_connected ?? 0}${p.peers_known ? ` / ${p.peers_known}` : ''}</div>
      <div role="cell" class="cell col-ratio">${fmt.ratio(p.ratio)}</div>
      <div role="cell" class="cell col-actions">
        ${row.type === 'stream' && (row.state === 'seeding' || row.state === 'completed') ? null : stopped
          ? html`<button type="button" class="icon" aria-label=${`Resume ${row.name}`} title="Resume" onClick=${() => actions.resume(row)}><${PlayIcon} /></button>`
          : html`<button type="button" class="icon" aria-label=${`Pause ${row.name}`} title="Pause" onClick=${() => actions.pause(row)}><${PauseIcon} /></button>`}
        <button type="button" class="icon danger" aria-label=${`Remove ${row.name}`} title="Remove" onClick=${() => actions.remove(row)}><${RemoveIcon} /></button>
      </div>
    </div>`;
  }
}

export function TransferTable({ rows, total, sort, descending, onSort, selectedKey, onSelect, actions, loaded }) {
  const body = useRef(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);
  const frame = useRef(0);

  useEffect(() => {
    const element = body.current;
    const observer = new ResizeObserver(() => setHeight(element.clientHeight || 600));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);

  const onScroll = () => {
    if (frame.current) return;
    frame.current = requestAnimationFrame(() => {
      frame.current = 0;
      setScrollTop(body.current.scrollTop);
    });
  };

  const first = Math.max(0, Math.floor(scrollTop / ROW_HEIGHT) - MARGIN_ROWS);
  const last = Math.min(rows.length, Math.ceil((scrollTop + height) / ROW_HEIGHT) + MARGIN_ROWS);
  // Rows are keyed by slot, not by transfer: scrolling reuses the same DOM rows with new text instead of creating
  // and dropping a window of elements per frame (faster, and no garbage of detached nodes).
  const slots = Math.ceil(height / ROW_HEIGHT) + (2 * MARGIN_ROWS) + 2;
  const windowRows = [];
  for (let i = first; i < last; i++) windowRows.push(i);

  return html`<div class="table" role="table" aria-label="Transfers" aria-rowcount=${rows.length + 1}>
    <${Header} sort=${sort} descending=${descending} onSort=${onSort} />
    <div class="table-body" ref=${body} onScroll=${onScroll} role="rowgroup" data-testid="transfer-rows">
      <div class="spacer" style=${{ height: `${rows.length * ROW_HEIGHT}px` }}>
        ${windowRows.map((i) => html`<${Row} key=${i % slots} row=${rows[i]} index=${i}
          selected=${rows[i].key === selectedKey} onSelect=${onSelect} actions=${actions} />`)}
      </div>
      ${rows.length === 0 ? html`<p class="empty">${!loaded ? 'Loading transfers…'
        : total === 0 ? 'No transfers yet. Drop a .torrent or .smartshare file, paste a link above, or share a file.'
        : 'No transfer matches this filter.'}</p>` : null}
    </div>
  </div>`;
}
