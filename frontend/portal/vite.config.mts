// The portal's build: one HTML page (index.html, served by core/portal_routes.py for every portal URL) and
// content-hashed assets under /portal-assets/, written to ../build/portal/. Vitest reads the same file.
import { fileURLToPath } from 'node:url';

import react from '@vitejs/plugin-react';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/portal-assets/',
  plugins: [react()],
  build: {
    outDir: '../build/portal',
    emptyOutDir: true,
    manifest: true,
    target: 'es2022',
    // No inline <script>: the page's Content-Security-Policy allows scripts from this origin only.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
    setupFiles: ['src/test-setup.ts'],
  },
});
