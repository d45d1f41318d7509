// The transfers as the UI knows them: a key → row map that live events patch in place, a version that tells the
// views something changed, and the totals. Rows are replaced (never mutated), so a view can compare identities.

export class TransferStore {
  constructor() {
    this.rows = new Map();
    this.version = 0;
    this.revision = null;
    this.totals = { download_rate: 0, upload_rate: 0, count: 0 };
    this.mode = 'connecting';
    this.loaded = false;
    this.listeners = new Set();
  }

  subscribe(listener) {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  notify() {
    this.version++;
    for (const listener of this.listeners) listener(this.version);
  }

  setMode(mode) {
    if (this.mode !== mode) {
      this.mode = mode;
      this.notify();
    }
  }

  /** One `transfers` event of /events: a full list, or the rows that changed and the keys removed. */
  apply(event) {
    if (event.full) this.rows = new Map();
    for (const row of event.rows ?? []) this.rows.set(row.key, row);
    for (const key of event.removed ?? []) this.rows.delete(key);
    this.revision = event.revision ?? null;
    this.totals = event.totals ?? computeTotals(this.rows);
    this.loaded = true;
    this.notify();
  }

  /** A whole list from file_list (the polling fallback): rows whose JSON did not change keep their identity. */
  replaceAll(rows) {
    const next = new Map();
    for (const row of rows) {
      const old = this.rows.get(row.key);
      next.set(row.key, old && JSON.stringify(old) === JSON.stringify(row) ? old : row);
    }
    this.rows = next;
    this.totals = computeTotals(next);
    this.loaded = true;
    this.notify();
  }

  /** A row the UI just changed through the API (a pause, a removal), ahead of the next event. */
  patch(key, change) {
    const row = this.rows.get(key);
    if (!row) return;
    if (change === null) this.rows.delete(key);
    else this.rows.set(key, { ...row, ...change });
    this.notify();
  }
}

function computeTotals(rows) {
  let down = 0;
  let up = 0;
  for (const row of rows.values()) {
    down += row.progress?.download_rate ?? 0;
    up += row.progress?.upload_rate ?? 0;
  }
  return { download_rate: down, upload_rate: up, count: rows.size };
}

/** A file_list item in the shape of an /events row. */
export function rowOf(item) {
  return {
    key: item.key,
    type: item.type,
    name: item.name ?? item.file_name ?? item.stream_name ?? item.key,
    direction: item.direction,
    state: item.state,
    error: item.error ?? null,
    private: Boolean(item.private),
    added_at: item.added_at ?? null,
    progress: item.progress ?? {},
  };
}

const FILTERS = {
  all: () => true,
  downloading: (row) => ['downloading', 'queued', 'checking', 'fetching_metadata'].includes(row.state),
  seeding: (row) => row.state === 'seeding',
  completed: (row) => row.state === 'completed',
  stopped: (row) => row.state === 'stopped',
  failed: (row) => row.state === 'failed',
};

export const FILTER_NAMES = Object.keys(FILTERS);

const SORT_KEYS = {
  name: (row) => (row.name ?? '').toLowerCase(),
  type: (row) => row.type ?? '',
  size: (row) => row.progress?.bytes_total ?? -1,
  progress: (row) => row.progress?.fraction ?? -1,
  state: (row) => row.state ?? '',
  down: (row) => row.progress?.download_rate ?? 0,
  up: (row) => row.progress?.upload_rate ?? 0,
  eta: (row) => row.progress?.eta_seconds ?? Number.MAX_SAFE_INTEGER,
  peers: (row) => row.progress?.peers_connected ?? 0,
  ratio: (row) => row.progress?.ratio ?? -1,
  added: (row) => row.added_at ?? 0,
};

/** The rows to show: filtered by state and name, sorted by one column. */
export function visibleRows(rows, { filter = 'all', search = '', sort = 'added', descending = true }) {
  const keep = FILTERS[filter] ?? FILTERS.all;
  const needle = search.trim().toLowerCase();
  const list = [];
  for (const row of rows.values()) {
    if (keep(row) && (!needle || (row.name ?? '').toLowerCase().includes(needle))) list.push(row);
  }
  const by = SORT_KEYS[sort] ?? SORT_KEYS.added;
  const sign = descending ? -1 : 1;
  list.sort((a, b) => {
    const x = by(a);
    const y = by(b);
    if (x < y) return -sign;
    if (x > y) return sign;
    return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  });
  return list;
}
