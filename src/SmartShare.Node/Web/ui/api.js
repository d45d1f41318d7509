// The node's JSON-RPC API (POST /api), the upload endpoint and the login: one place that turns every failure into
// an Error with a sentence, and that waits for the password when the node answers 401.

export class ApiError extends Error {
  constructor(message, { status = 0, code = null, kind = null } = {}) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
    this.kind = kind;
  }
}

// Login: while the node wants a password, calls wait here and are retried once the user logged in.
const loginListeners = new Set();
let loginWaiters = [];
export let loginNeeded = false;

export function onLoginNeeded(listener) {
  loginListeners.add(listener);
  return () => loginListeners.delete(listener);
}

function waitForLogin() {
  if (!loginNeeded) {
    loginNeeded = true;
    for (const listener of loginListeners) listener(true);
  }
  return new Promise((resolve) => loginWaiters.push(resolve));
}

export async function login(password) {
  const answer = await fetch('/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ password }),
    credentials: 'same-origin',
  });
  const body = await readJson(answer);
  if (!answer.ok) throw new ApiError(errorMessage(body, answer), { status: answer.status });
  loginNeeded = false;
  for (const listener of loginListeners) listener(false);
  const waiters = loginWaiters;
  loginWaiters = [];
  for (const resolve of waiters) resolve();
  return body;
}

async function readJson(answer) {
  const text = await answer.text();
  if (!text) return null;
  try {
    return JSON.parse(text);
  } catch {
    return { error: { message: text.slice(0, 300) } };
  }
}

function errorMessage(body, answer) {
  const error = body?.error;
  if (typeof error === 'string') return error;
  if (error?.message) return error.message;
  return `The node answered ${answer.status} ${answer.statusText}`.trim();
}

/** Calls one JSON-RPC method and returns its result, or throws an ApiError with the node's sentence. */
export async function rpc(method, params = {}) {
  for (;;) {
    let answer;
    try {
      answer = await fetch('/api', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ method, params }),
        credentials: 'same-origin',
      });
    } catch (e) {
      throw new ApiError(`Cannot reach the node (${e.message}). Is it still running?`);
    }
    if (answer.status === 401) {
      await waitForLogin();
      continue;
    }
    const body = await readJson(answer);
    if (!answer.ok || body?.error) {
      const error = body?.error ?? {};
      throw new ApiError(errorMessage(body, answer), { status: answer.status, code: error.code ?? null, kind: error.data?.kind ?? null });
    }
    return body?.result;
  }
}

/**
 * Sends a file's bytes to POST /upload?name=… and reports progress (0..1) from the upload events; resolves to the
 * node's answer {path, name, size}. XMLHttpRequest, because fetch reports no upload progress.
 */
export function upload(file, onProgress, signal) {
  const send = () => new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', `/upload?name=${encodeURIComponent(file.name)}`);
    xhr.setRequestHeader('Content-Type', 'application/octet-stream');
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress?.(e.loaded / e.total);
    };
    xhr.onload = () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      if (xhr.status === 401) return resolve({ login: true });
      if (xhr.status >= 200 && xhr.status < 300 && body) return resolve(body);
      const message = typeof body?.error === 'string' ? body.error : body?.error?.message;
      reject(new ApiError(message ?? (xhr.status === 404
        ? 'This node cannot take uploads (no /upload endpoint): type the file\'s path on the node\'s machine instead.'
        : `The upload failed (${xhr.status} ${xhr.statusText}).`), { status: xhr.status }));
    };
    xhr.onerror = () => reject(new ApiError('The upload failed: the connection to the node was lost.'));
    xhr.onabort = () => reject(new ApiError('The upload was cancelled.'));
    signal?.addEventListener('abort', () => xhr.abort());
    xhr.send(file);
  });
  return (async () => {
    for (;;) {
      const result = await send();
      if (!result.login) return result;
      await waitForLogin();
    }
  })();
}

/** A file's bytes as base64, for get's content_base64. */
export function fileToBase64(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(new ApiError(`Cannot read ${file.name}: ${reader.error?.message ?? 'unknown error'}`));
    reader.readAsDataURL(file);
  });
}
