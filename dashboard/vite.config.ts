import react from '@vitejs/plugin-react'
import { defineConfig } from 'vitest/config'

// Served by Hearth at /dashboard (assets embedded in the binary). `npm run dev` proxies the APIs
// to a Hearth on HEARTH_URL (default http://127.0.0.1:1337).
const hearth = process.env.HEARTH_URL ?? 'http://127.0.0.1:1337'

export default defineConfig({
  base: '/dashboard/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    assetsDir: 'assets',
    // Source maps stay out of the binary.
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: {
    proxy: {
      '/admin/v1': { target: hearth, changeOrigin: false },
      '/parse': { target: hearth, changeOrigin: false },
    },
  },
  test: {
    environment: 'jsdom',
    include: ['src/**/*.test.{ts,tsx}'],
  },
})
