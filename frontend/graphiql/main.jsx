// Pejling's GraphiQL: the npm package bundled by build.mjs and served from /graphiql-assets/, so the page loads
// nothing from any other origin. The fetcher sends the session cookie (same origin only) and the CSRF token from
// the CSRF cookie (__Host-csrf_token over HTTPS, csrf_token over plain HTTP) in X-CSRF-Token, the header the server checks (core/auth/csrf.py).
import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';

// Worker file names (content-hashed) are filled in by build.mjs; they are served next to this script.
const scriptUrl = document.currentScript ? document.currentScript.src : window.location.href;

globalThis.MonacoEnvironment = {
  getWorker(_workerId, label) {
    const file = PEJLING_WORKERS[label] || PEJLING_WORKERS.editor;
    return new Worker(new URL(file, scriptUrl));
  },
};

function cookie(name) {
  for (const part of document.cookie.split(';')) {
    const [key, ...value] = part.trim().split('=');
    if (key === name) {
      return decodeURIComponent(value.join('='));
    }
  }
  return '';
}

function hasHeader(headers, name) {
  return Object.keys(headers).some((key) => key.toLowerCase() === name);
}

async function fetcher(params, options) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json', ...(options?.headers || {}) };
  const token = cookie(window.location.protocol === 'https:' ? '__Host-csrf_token' : 'csrf_token');
  if (token && !hasHeader(headers, 'x-csrf-token')) {
    headers['X-CSRF-Token'] = token;
  }
  const response = await fetch(endpoint, {
    method: 'POST',
    headers,
    body: JSON.stringify(params),
    credentials: 'same-origin',
  });
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return { errors: [{ message: `HTTP ${response.status}: ${text.slice(0, 500)}` }] };
  }
}

const container = document.getElementById('graphiql');
const endpoint = container.dataset.endpoint || window.location.pathname;
// Full-window layout, set through the CSSOM (the page allows no inline style attributes of its own).
document.body.style.margin = '0';
container.style.height = '100vh';
createRoot(container).render(<GraphiQL fetcher={fetcher} />);
