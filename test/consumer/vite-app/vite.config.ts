import { defineConfig } from "vite";
import { offlineEdge } from "offline-edge/vite";

export default defineConfig({ plugins: [offlineEdge()] });
