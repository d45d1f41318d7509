// SmartShare's web UI: the transfers list, adding and sharing, details, status and settings.
import { html, render, useEffect, useMemo, useState } from './vendor/htm-preact-standalone.module.js';
import { rpc, onLoginNeeded, loginNeeded } from './api.js';
import { TransferStore, visibleRows, FILTER_NAMES } from './store.js';
import { startFeed } from './feed.js';
import { TransferTable } from './table.js';
import { AddBar, DropZone } from './add.js';
import { ShareDialog } from './share.js';
import { DetailPane } from './detail.js';
import { RemoveDialog } from './dialog.js';
import { StatusBar, SettingsDialog, useStatus } from './status.js';
import { LoginDialog } from './login.js';
import { ThemeToggle, applyStoredTheme } from './theme.js';
import { Toasts, showError, toast } from './toast.js';
import { stateLabel } from './format.js';

applyStoredTheme();
const store = new TransferStore();
let feed = startFeed(store);

function useStore() {
  const [, setVersion] = useState(store.version);
  useEffect(() => store.subscribe(setVersion), []);
  return store;
}

function useLogin() {
  const [needed, setNeeded] = useState(loginNeeded);
  useEffect(() => onLoginNeeded((now) => {
    setNeeded(now);
    if (!now) {
      // The event stream was refused before the login: start it again with the session cookie.
      feed.stop();
      feed = startFeed(store);
    }
  }), []);
  return needed;
}

function Toolbar({ filter, setFilter, search, setSearch, shown, total }) {
  return html`<div class="toolbar">
    <label>Show
      <select value=${filter} onChange=${(e) => setFilter(e.target.value)}>
        ${FILTER_NAMES.map((name) => html`<option value=${name}>${name === 'all' ? 'All' : stateLabel(name)}</option>`)}
      </select>
    </label>
    <label class="search"><span class="visually-hidden">Search by name</span>
      <input type="search" placeholder="Search by name" value=${search} onInput=${(e) => setSearch(e.target.value)} />
    </label>
    <span class="count" aria-live="polite">${shown === total ? `${total} transfers` : `${shown} of ${total} transfers`}</span>
  </div>`;
}

function App() {
  const transfers = useStore();
  const needLogin = useLogin();
  const status = useStatus();
  const [filter, setFilter] = useState('all');
  const [search, setSearch] = useState('');
  const [sort, setSort] = useState({ column: 'added', descending: true });
  const [selected, setSelected] = useState(null);
  const [sharing, setSharing] = useState(null);
  const [removing, setRemoving] = useState(null);
  const [settingsOpen, setSettingsOpen] = useState(false);

  const rows = useMemo(
    () => visibleRows(transfers.rows, { filter, search, sort: sort.column, descending: sort.descending }),
    [transfers.version, filter, search, sort],
  );

  const onSort = (column) => setSort((old) => ({
    column,
    descending: old.column === column ? !old.descending : column !== 'name' && column !== 'type' && column !== 'state',
  }));

  const actions = useMemo(() => ({
    async pause(row) {
      try {
        // No local patch: the next event (within a second) says what the node did, so the list never disagrees with it.
        await rpc('file_set_status', { key: row.key, status: 'stop' });
        await feed.refresh();
      } catch (e) {
        showError(e);
      }
    },
    async resume(row) {
      try {
        await rpc('file_set_status', { key: row.key, status: 'start' });
        await feed.refresh();
      } catch (e) {
        showError(e);
      }
    },
    remove(row) {
      setRemoving(row);
    },
  }), []);

  const remove = async (deleteData) => {
    const row = removing;
    setRemoving(null);
    try {
      await rpc('file_delete', { key: row.key, delete_from_download_dir: deleteData });
      store.patch(row.key, null);
      if (selected === row.key) setSelected(null);
      toast(`Removed ${row.name}${deleteData ? ' and its data' : ''}`, 'info');
    } catch (e) {
      showError(e);
    }
  };

  const selectedRow = selected ? transfers.rows.get(selected) : null;
  return html`<div class=${`shell${selected ? ' with-detail' : ''}`}>
    <header class="top">
      <h1 class="brand">SmartShare</h1>
      <${AddBar} onShare=${(file) => setSharing({ file })} onAdded=${() => feed.refresh()} />
      <div class="top-actions">
        <button type="button" onClick=${() => setSettingsOpen(true)}>Settings</button>
        <${ThemeToggle} />
      </div>
    </header>
    <main class="main">
    <${Toolbar} filter=${filter} setFilter=${setFilter} search=${search} setSearch=${setSearch} shown=${rows.length} total=${transfers.rows.size} />
    <div class="content">
      <${TransferTable} rows=${rows} total=${transfers.rows.size} sort=${sort.column} descending=${sort.descending} onSort=${onSort}
        selectedKey=${selected} onSelect=${setSelected} actions=${actions} loaded=${transfers.loaded} />
      ${selected ? html`<${DetailPane} transferKey=${selected} row=${selectedRow} onClose=${() => setSelected(null)} />` : null}
    </div>
    </main>
    <${StatusBar} status=${status} totals=${transfers.totals} mode=${transfers.mode} />
    <${DropZone} onShare=${(file) => setSharing({ file })} onAdded=${() => feed.refresh()} />
    ${sharing ? html`<${ShareDialog} initialFile=${sharing.file} onClose=${() => setSharing(null)} onShared=${() => feed.refresh()} />` : null}
    ${removing ? html`<${RemoveDialog} row=${removing} onDone=${remove} onClose=${() => setRemoving(null)} />` : null}
    ${settingsOpen ? html`<${SettingsDialog} onClose=${() => setSettingsOpen(false)} />` : null}
    ${needLogin ? html`<${LoginDialog} />` : null}
    <${Toasts} />
  </div>`;
}

window.addEventListener('unhandledrejection', (event) => showError(event.reason));
document.getElementById('app').textContent = '';
render(html`<${App} />`, document.getElementById('app'));
