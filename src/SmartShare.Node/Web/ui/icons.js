// Small inline SVG icons (every system font has no pause glyph); decorative, the buttons carry aria-labels.
import { html } from './vendor/htm-preact-standalone.module.js';

const svg = (body) => html`<svg class="glyph" viewBox="0 0 16 16" width="14" height="14" aria-hidden="true" focusable="false">${body}</svg>`;

export const PauseIcon = () => svg(html`<rect x="3" y="2" width="3.5" height="12" rx="1" fill="currentColor" /><rect x="9.5" y="2" width="3.5" height="12" rx="1" fill="currentColor" />`);
export const PlayIcon = () => svg(html`<path d="M4 2.5v11l9-5.5z" fill="currentColor" />`);
export const RemoveIcon = () => svg(html`<path d="M3.5 3.5l9 9M12.5 3.5l-9 9" stroke="currentColor" stroke-width="2" stroke-linecap="round" />`);
