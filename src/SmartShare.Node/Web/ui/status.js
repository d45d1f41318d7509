// The node's state from `status` (DHTs, ports, node id) and its settings from settings_get / settings_set.
import { html, useEffect, useState } from './vendor/htm-preact-standalone.module.js';
import { rpc } from './api.js';
import { usePolling } from './poll.js';
import { Dialog } from './dialog.js';
import * as fmt from './format.js';
import { showError, toast } from './toast.js';

const STATUS_MS = 5000;

export function useStatus() {
  const [status, setStatus] = useState(null);
  usePolling(async (alive) => {
    const answer = await rpc('status');
    if (alive()) setStatus(answer);
  }, STATUS_MS, []);
  return status;
}

function ports(network) {
  return (network?.end_points ?? []).map((e) => `${e.role} ${e.protocol}/${e.port}`).join(', ');
}

// A limit in force (KiB/s in `status`), shown after the rate it caps.
function cap(kibPerSecond) {
  return kibPerSecond > 0 ? ` / ${fmt.rate(kibPerSecond * 1024)}` : '';
}

function limitText(kibPerSecond) {
  return kibPerSecond > 0 ? fmt.rate(kibPerSecond * 1024) : 'unlimited';
}

// The alternative speed set, on or off by hand (the schedule may also turn it on: the title says so).
function AltSpeedToggle({ limits }) {
  const [busy, setBusy] = useState(false);
  const [pressed, setPressed] = useState(limits.alt_speed_enabled);
  useEffect(() => setPressed(limits.alt_speed_enabled), [limits.alt_speed_enabled]);
  const why = limits.alt_speed_active && !pressed ? ' (on by the schedule now)' : '';
  const toggle = async () => {
    setBusy(true);
    try {
      const answer = await rpc('settings_set', { key: 'alt_speed_enabled', value: !pressed });
      setPressed(!pressed);
      toast(answer.message ?? 'Saved alt_speed_enabled.', answer.overridden_by ? 'warning' : 'info');
    } catch (e) {
      showError(e);
    } finally {
      setBusy(false);
    }
  };
  return html`<button type="button" class="alt-speed" aria-pressed=${pressed} disabled=${busy} onClick=${toggle}
    title=${`Alternative speeds: down ${limitText(limits.alt_download_rate)}, up ${limitText(limits.alt_upload_rate)}${why}; schedule ${limits.alt_speed_schedule} ${limits.alt_speed_schedule_enabled ? 'on' : 'off'}`}>
    ${limits.alt_speed_active ? '🐢 Alt speed on' : 'Alt speed off'}</button>`;
}

export function StatusBar({ status, totals, mode }) {
  const lbry = status?.networks?.lbry ?? status?.dht;
  const bt = status?.networks?.bittorrent;
  const btDht = bt?.dht;
  const nodeId = lbry?.node_id;
  const limits = status?.limits;
  return html`<footer class="status-bar" aria-label="Node status">
    <span title="Total download rate / the node's download limit in force">↓ ${fmt.rate(totals.download_rate)}${cap(limits?.download_rate_limit)}</span>
    <span title="Total upload rate / the node's upload limit in force">↑ ${fmt.rate(totals.upload_rate)}${cap(limits?.upload_rate_limit)}</span>
    ${limits ? html`<${AltSpeedToggle} limits=${limits} />` : null}
    <span>${totals.count} transfers</span>
    <span title=${`LBRY ports: ${ports(status?.networks?.lbry)}`}>LBRY DHT: ${lbry ? `${lbry.contacts ?? 0} contacts${lbry.joined ? '' : ' (joining)'}` : '—'}</span>
    <span title=${`BitTorrent ports: ${ports(bt)}`}>BT DHT: ${btDht && typeof btDht === 'object' ? `${btDht.contacts ?? 0} contacts${btDht.joined === false ? ' (joining)' : ''}` : btDht === false || btDht === null ? 'off' : '—'}</span>
    <span class="wide">Ports: ${[ports(status?.networks?.lbry), ports(bt)].filter(Boolean).join('; ') || '—'}</span>
    ${nodeId ? html`<span class="wide" title=${nodeId}>Node ${String(nodeId).slice(0, 12)}…</span>` : null}
    <span class=${`feed feed-${mode}`} data-mode=${mode} title=${mode === 'polling' ? 'Live events unavailable: refreshing every 2 s' : 'Live updates'}>${mode === 'live' ? '● live' : mode === 'polling' ? '◌ polling' : '… connecting'}</span>
  </footer>`;
}

function SettingRow({ name, value, onSaved }) {
  const isSecret = value === '(set)' || /password|token|secret/i.test(name);
  const kind = typeof value === 'boolean' ? 'bool' : typeof value === 'number' ? 'number' : typeof value === 'string' ? 'text' : 'json';
  const initial = kind === 'json' ? JSON.stringify(value) : kind === 'bool' ? value : String(value ?? '');
  const [draft, setDraft] = useState(initial);
  const [busy, setBusy] = useState(false);
  const id = `setting-${name}`;

  const save = async (next = draft) => {
    let parsed = next;
    try {
      if (kind === 'number') parsed = Number(next);
      if (kind === 'json') parsed = JSON.parse(next);
    } catch {
      showError(new Error(`${name}: not valid JSON.`));
      return;
    }
    setBusy(true);
    try {
      const answer = await rpc('settings_set', { key: name, value: parsed });
      toast(answer.message ?? `Saved ${name}.`, answer.restart_required || answer.overridden_by ? 'warning' : 'info');
      onSaved(name, answer);
    } catch (e) {
      showError(e);
    } finally {
      setBusy(false);
    }
  };

  if (isSecret) {
    return html`<div class="setting"><span class="setting-name">${name}</span><span class="hint">${value || 'not set'} (set with the CLI: smartshare password)</span></div>`;
  }
  if (kind === 'bool') {
    return html`<div class="setting"><label class="switch" for=${id}><input id=${id} type="checkbox" role="switch" checked=${draft}
      disabled=${busy} onChange=${(e) => { setDraft(e.target.checked); save(e.target.checked); }} /> <span class="setting-name">${name}</span></label></div>`;
  }
  return html`<form class="setting" onSubmit=${(e) => { e.preventDefault(); save(); }}>
    <label class="setting-name" for=${id}>${name}</label>
    <input id=${id} type=${kind === 'number' ? 'number' : 'text'} value=${draft} onInput=${(e) => setDraft(e.target.value)} spellcheck=${false} />
    <button type="submit" disabled=${busy || draft === initial} aria-label=${`Save ${name}`}>Save</button>
  </form>`;
}

export function SettingsDialog({ onClose }) {
  const [settings, setSettings] = useState(null);
  const [notes, setNotes] = useState({});
  useEffect(() => {
    rpc('settings_get').then(setSettings, (e) => {
      showError(e);
      onClose();
    });
  }, []);
  const saved = (name, answer) => setNotes({ ...notes, [name]: answer.message });
  return html`<${Dialog} title="Settings" onClose=${onClose} className="wide" testId="settings-dialog">
    ${settings === null ? html`<p>Loading…</p>` : html`<div class="settings">
      ${Object.entries(settings).map(([name, value]) => html`<div key=${name}>
        <${SettingRow} name=${name} value=${value} onSaved=${saved} />
        ${notes[name] ? html`<p class="hint restart" role="status">${notes[name]}</p>` : null}
      </div>`)}
    </div>`}
  <//>`;
}
