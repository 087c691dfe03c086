/**
 * The portal's build: `vite build --config portal/vite.config.ts` writes
 * portal/dist, which `numbat serve` serves at `/` (src/portal). In
 * development, `vite --config portal/vite.config.ts` proxies /api to a
 * running `numbat serve` (NUMBAT_URL, default http://127.0.0.1:3000).
 */
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

export default defineConfig({
  root: import.meta.dirname,
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // One chunk per vendor family: the numbers page needs them all at once anyway.
    chunkSizeWarningLimit: 1200,
  },
  server: {
    proxy: { '/api': process.env.NUMBAT_URL ?? 'http://127.0.0.1:3000' },
  },
});
