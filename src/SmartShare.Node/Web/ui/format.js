// Numbers as people read them: sizes, rates, durations, ratios.

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function bytes(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  let n = Number(value);
  let unit = 0;
  while (Math.abs(n) >= 1024 && unit < UNITS.length - 1) {
    n /= 1024;
    unit++;
  }
  return `${unit === 0 ? n.toFixed(0) : n.toFixed(n < 10 ? 2 : n < 100 ? 1 : 0)} ${UNITS[unit]}`;
}

export function rate(value) {
  if (!value) return '—';
  return `${bytes(value)}/s`;
}

export function eta(seconds) {
  if (seconds === null || seconds === undefined || seconds < 0) return '—';
  if (seconds < 60) return `${Math.round(seconds)} s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)} min ${Math.round(seconds % 60)} s`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ${Math.floor((seconds % 3600) / 60)} min`;
  return `${Math.floor(seconds / 86400)} d ${Math.floor((seconds % 86400) / 3600)} h`;
}

export function ratio(value) {
  return value === null || value === undefined ? '—' : Number(value).toFixed(2);
}

export function percent(fraction) {
  if (fraction === null || fraction === undefined) return '—';
  const p = fraction * 100;
  return `${p >= 100 ? 100 : p.toFixed(p < 10 ? 1 : 0)}%`;
}

const STATE_LABELS = {
  queued: 'Queued',
  checking: 'Checking',
  fetching_metadata: 'Fetching metadata',
  downloading: 'Downloading',
  seeding: 'Seeding',
  completed: 'Completed',
  stopped: 'Stopped',
  failed: 'Failed',
};

export function stateLabel(state) {
  return STATE_LABELS[state] ?? state ?? '—';
}

export function date(unixSeconds) {
  if (!unixSeconds) return '—';
  return new Date(unixSeconds * 1000).toLocaleString();
}
