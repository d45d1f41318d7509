// Polling a part of the node's state while a view is open: run now, then again a fixed time after each run ends, until
// the view goes or what it shows changes. An error is shown once, not on every run, until a run succeeds again.
import { useEffect } from './vendor/htm-preact-standalone.module.js';
import { showError } from './toast.js';

/** Runs `load(alive)` now and every `intervalMs` after each run; `alive()` is false once the view has gone. */
export function usePolling(load, intervalMs, deps) {
  useEffect(() => {
    let alive = true;
    let timer = null;
    let lastError = null;
    const run = async () => {
      try {
        await load(() => alive);
        lastError = null;
      } catch (e) {
        if (alive && lastError !== e.message) showError(e);
        lastError = e.message;
      }
      if (alive) timer = setTimeout(run, intervalMs);
    };
    run();
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, deps);
}
