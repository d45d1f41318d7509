// Live transfers: Server-Sent Events from GET /events, and when they fail twice in a row, file_list every 2 s.
import { rowOf } from './store.js';
import { rpc } from './api.js';
import { showError } from './toast.js';

const POLL_MS = 2000;
const PAGE_SIZE = 1000;
const RETRY_LIVE_MS = 30000;

export function startFeed(store) {
  let failures = 0;
  let source = null;
  let pollTimer = null;
  let retryTimer = null;
  let polling = false;
  let stopped = false;
  let lastPollError = null;

  function connect() {
    source = new EventSource('/events');
    source.addEventListener('transfers', (event) => {
      failures = 0;
      polling = false;
      clearTimeout(pollTimer);
      pollTimer = null;
      store.setMode('live');
      try {
        store.apply(JSON.parse(event.data));
      } catch (e) {
        showError(new Error(`The node sent an update the page cannot read: ${e.message}`));
      }
    });
    source.onerror = () => {
      failures++;
      if (failures >= 2) {
        source.close();
        startPolling();
        // Try the live events again now and then: one error more and the page keeps polling.
        clearTimeout(retryTimer);
        retryTimer = setTimeout(() => {
          if (stopped) return;
          failures = 1;
          connect();
        }, RETRY_LIVE_MS);
      } else if (source.readyState === EventSource.CLOSED) {
        setTimeout(() => !stopped && connect(), 1000);
      }
    };
  }

  async function pollOnce() {
    try {
      const rows = [];
      for (let page = 1; ; page++) {
        const answer = await rpc('file_list', { page, page_size: PAGE_SIZE, files_limit: 0 });
        for (const item of answer.items ?? []) rows.push(rowOf(item));
        if (page >= (answer.total_pages ?? 1)) break;
      }
      // Live events came back while this list was fetched: theirs is newer.
      if (!polling) return;
      store.replaceAll(rows);
      lastPollError = null;
    } catch (e) {
      // One toast per distinct failure, not one every 2 s.
      if (lastPollError !== e.message) showError(e);
      lastPollError = e.message;
    }
  }

  function startPolling() {
    if (polling || stopped) return;
    polling = true;
    store.setMode('polling');
    const tick = async () => {
      await pollOnce();
      if (!stopped && polling) pollTimer = setTimeout(tick, POLL_MS);
    };
    pollTimer = setTimeout(tick, 0);
  }

  connect();
  return {
    refresh: () => (store.mode === 'polling' ? pollOnce() : Promise.resolve()),
    stop() {
      stopped = true;
      source?.close();
      clearTimeout(pollTimer);
      clearTimeout(retryTimer);
    },
  };
}
