// Light or dark: the system's choice until the user picks one, which is kept in localStorage.
import { html, useState } from './vendor/htm-preact-standalone.module.js';

const KEY = 'smartshare.theme';

function stored() {
  try {
    return localStorage.getItem(KEY);
  } catch {
    return null;
  }
}

export function applyStoredTheme() {
  const theme = stored();
  if (theme === 'dark' || theme === 'light') document.documentElement.dataset.theme = theme;
}

function effective() {
  return document.documentElement.dataset.theme
    ?? (matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light');
}

export function ThemeToggle() {
  const [theme, setTheme] = useState(effective());
  const toggle = () => {
    const next = theme === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem(KEY, next);
    } catch {
      // Private mode: the choice lasts for this page only.
    }
    setTheme(next);
  };
  return html`<button type="button" class="icon" onClick=${toggle} aria-pressed=${theme === 'dark' ? 'true' : 'false'}
    aria-label="Dark theme" title=${theme === 'dark' ? 'Switch to the light theme' : 'Switch to the dark theme'}>${theme === 'dark' ? '☀' : '☾'}</button>`;
}
