/**
 * The dashboard's stylesheet, scoped by its shadow root. Colours are CSS
 * custom properties on `:host`, so a page can theme the element from
 * outside (`offline-dashboard { --od-accent: teal }`); dark values apply
 * under `prefers-color-scheme: dark`.
 */
export const DASHBOARD_CSS = /* css */ `
:host {
  --od-bg: #ffffff;
  --od-surface: #f7f8fa;
  --od-border: #e3e6ea;
  --od-border-strong: #cfd4da;
  --od-text: #1d2329;
  --od-muted: #66707a;
  --od-accent: #3b6fd8;
  --od-accent-soft: rgba(59, 111, 216, 0.22);
  --od-warn: #c77c02;
  --od-danger: #c93a3a;
  --od-danger-text: #ffffff;
  --od-ok: #2f8a4f;
  --od-radius: 8px;
  display: block;
  color: var(--od-text);
  font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
  color-scheme: light dark;
  container-type: inline-size;
}
@media (prefers-color-scheme: dark) {
  :host {
    --od-bg: #17191c;
    --od-surface: #1e2125;
    --od-border: #2d3136;
    --od-border-strong: #3b4046;
    --od-text: #e4e6e9;
    --od-muted: #9aa3ad;
    --od-accent: #6f9cf0;
    --od-accent-soft: rgba(111, 156, 240, 0.25);
    --od-warn: #e0a43a;
    --od-danger: #e06464;
    --od-danger-text: #17191c;
    --od-ok: #5cbf7f;
  }
}
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.sr-only {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
.od {
  background: var(--od-bg);
  border: 1px solid var(--od-border);
  border-radius: calc(var(--od-radius) + 2px);
  padding: 16px;
  display: grid;
  gap: 12px;
}
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 16px; }
header.top .title { flex: 1 1 auto; min-width: 0; }
h2 { margin: 0; font-size: 16px; font-weight: 600; letter-spacing: -0.01em; }
.subtitle { margin: 2px 0 0; color: var(--od-muted); font-size: 12px; }
.live-dot { display: inline-block; width: 7px; height: 7px; border-radius: 50%; background: var(--od-ok); margin-right: 6px; vertical-align: 1px; }
.live-dot.paused { background: var(--od-muted); }
.live-dot.error { background: var(--od-danger); }
.toolbar { display: flex; flex-wrap: wrap; gap: 6px; }
h3 { margin: 0 0 8px; font-size: 13px; font-weight: 600; }
h3 .muted { font-weight: 400; margin-left: 4px; }
h3 .metric-name { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 11px; }
.muted { color: var(--od-muted); }
.notice { margin: 0; padding: 6px 10px; border-radius: 6px; background: var(--od-surface); border: 1px solid var(--od-border); font-size: 12px; }
.notice.error { border-color: var(--od-danger); color: var(--od-danger); }

.btn, .icon-btn {
  font: inherit; font-size: 12px; line-height: 18px; color: var(--od-text);
  background: var(--od-bg); border: 1px solid var(--od-border-strong); border-radius: 6px;
  padding: 3px 10px; cursor: pointer; white-space: nowrap;
}
.btn:hover:not(:disabled), .icon-btn:hover { background: var(--od-surface); }
.btn:focus-visible, .icon-btn:focus-visible { outline: 2px solid var(--od-accent); outline-offset: 1px; }
.btn:disabled { opacity: 0.45; cursor: default; }
.btn-quiet { border-color: transparent; background: transparent; color: var(--od-muted); }
.btn-quiet:hover:not(:disabled) { color: var(--od-text); }
.btn-danger { background: var(--od-danger); border-color: var(--od-danger); color: var(--od-danger-text); }
.btn-danger:hover:not(:disabled) { background: var(--od-danger); filter: brightness(1.08); }
.icon-btn { border-color: transparent; background: transparent; padding: 0 4px; margin-right: 4px; color: var(--od-muted); }
.chevron::before { content: "▸"; display: inline-block; }
.icon-btn[aria-expanded="true"] .chevron::before { transform: rotate(90deg); }

.totals { display: grid; grid-template-columns: repeat(auto-fit, minmax(104px, 1fr)); gap: 8px; margin: 0; }
.tile { background: var(--od-surface); border: 1px solid var(--od-border); border-radius: var(--od-radius); padding: 8px 10px; }
.tile dt { font-size: 11px; color: var(--od-muted); text-transform: uppercase; letter-spacing: 0.04em; }
.tile dd { margin: 2px 0 0; font-size: 20px; font-weight: 600; font-variant-numeric: tabular-nums; }

.row { display: grid; gap: 12px; grid-template-columns: repeat(auto-fit, minmax(260px, 1fr)); }
.panel { border: 1px solid var(--od-border); border-radius: var(--od-radius); padding: 12px; min-width: 0; background: var(--od-bg); contain: layout paint style; }

.table-wrap { overflow-x: auto; }
table.grid { width: 100%; border-collapse: collapse; font-variant-numeric: tabular-nums; }
table.grid th, table.grid td { padding: 5px 8px; text-align: left; border-bottom: 1px solid var(--od-border); vertical-align: middle; }
table.grid thead th { font-size: 11px; font-weight: 600; color: var(--od-muted); text-transform: uppercase; letter-spacing: 0.04em; border-bottom-color: var(--od-border-strong); }
table.grid tbody tr:last-child > * { border-bottom: 0; }
table.grid .num { text-align: right; white-space: nowrap; }
table.grid th.peer { font-weight: 500; max-width: 0; width: 40%; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
table.grid td.actions, table.grid th.actions { text-align: right; white-space: nowrap; width: 1%; }
table.compact th, table.compact td { padding: 3px 6px; }
.empty-row td { color: var(--od-muted); text-align: center; padding: 12px; }
.jid, code, .ev-owner, .msg-from { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12px; }
.row-actions { display: inline-flex; gap: 4px; align-items: center; }
.confirm-q { color: var(--od-danger); font-size: 12px; margin-right: 4px; }

.depth-text { display: inline-block; min-width: 6.5em; }
.meter { display: inline-block; width: 56px; height: 5px; border-radius: 3px; background: var(--od-border); margin-left: 8px; vertical-align: middle; overflow: hidden; contain: strict; }
.meter.wide { display: block; width: 100%; height: 6px; margin: 0 0 10px; contain: layout paint; }
.meter-fill { display: block; height: 100%; width: 0; background: var(--od-accent); border-radius: inherit; }
tr[data-level="high"] .meter-fill { background: var(--od-warn); }
tr[data-level="full"] .meter-fill { background: var(--od-danger); }
tr[data-level="full"] .depth-text { color: var(--od-danger); font-weight: 600; }
tr[data-level="empty"] .depth-text, tr[data-level="empty"] .jid { color: var(--od-muted); }

.preview-row > td { background: var(--od-surface); padding: 6px 8px 8px 30px; }
.previews { list-style: none; margin: 0; padding: 0; display: grid; gap: 2px; font-size: 12px; }
.msg { display: grid; grid-template-columns: 92px minmax(80px, 200px) minmax(0, 1fr) auto; gap: 8px; align-items: baseline; }
.msg time, .ev-time { color: var(--od-muted); font-variant-numeric: tabular-nums; font-size: 11.5px; }
.msg-from, .msg-body, .ev-owner, .ev-detail { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.msg-body.described { color: var(--od-muted); font-style: italic; }
.msg.expired .msg-body { text-decoration: line-through; color: var(--od-muted); }
.tag { font-size: 10.5px; padding: 0 6px; border-radius: 9px; background: var(--od-border); color: var(--od-muted); }
.previews .empty { color: var(--od-muted); }

.chart .quantiles { display: flex; gap: 18px; margin: 0 0 6px; }
.quantiles dt { font-size: 11px; color: var(--od-muted); text-transform: uppercase; letter-spacing: 0.04em; }
.quantiles dd { margin: 0; font-size: 15px; font-weight: 600; font-variant-numeric: tabular-nums; }
.plot-frame { position: relative; }
.plot { width: 100%; min-height: 150px; }
.plot-empty { position: absolute; inset: 0 0 24px 44px; display: grid; place-items: center; margin: 0; color: var(--od-muted); font-size: 12px; pointer-events: none; }
.uplot { width: 100% !important; font-family: inherit; }

.kv { display: grid; grid-template-columns: 1fr 1fr; gap: 6px 12px; margin: 0; }
.kv dt { font-size: 11px; color: var(--od-muted); text-transform: uppercase; letter-spacing: 0.04em; }
.kv dd { margin: 0; font-weight: 600; font-variant-numeric: tabular-nums; }

.log { list-style: none; margin: 0; padding: 0; max-height: 264px; overflow-y: auto; font-size: 12px; }
.ev { display: grid; grid-template-columns: 96px 84px minmax(0, 22em) minmax(0, 1fr); gap: 8px; align-items: baseline; padding: 3px 2px; border-bottom: 1px solid var(--od-border); }
.ev:last-child { border-bottom: 0; }
.ev-kind { justify-self: start; font-size: 11px; font-weight: 600; padding: 0 7px; border-radius: 9px; background: var(--od-surface); border: 1px solid var(--od-border); }
.ev-stored .ev-kind { color: var(--od-accent); }
.ev-popped .ev-kind { color: var(--od-ok); }
.ev-requeued .ev-kind, .ev-expired .ev-kind { color: var(--od-warn); }
.ev-bounced .ev-kind, .ev-removed .ev-kind { color: var(--od-danger); }
.ev-dropped .ev-kind { color: var(--od-muted); }
.ev-detail { color: var(--od-muted); }
.empty { color: var(--od-muted); margin: 0; }

@container (max-width: 560px) {
  .ev { grid-template-columns: 84px 76px minmax(0, 1fr); }
  .ev-detail { display: none; }
  .msg { grid-template-columns: 80px minmax(0, 1fr); }
  .msg-from { display: none; }
  .meter { display: none; }
  /* Queue rows stack: peer on its own line, then depth and age, then actions. */
  .queue-table thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  .queue-table tbody tr:not(.preview-row):not(.empty-row) { display: grid; grid-template-columns: minmax(0, 1fr) auto; border-bottom: 1px solid var(--od-border); padding: 4px 0; }
  .queue-table tbody tr > * { border-bottom: 0 !important; padding: 2px 4px; }
  table.grid.queue-table th.peer { grid-column: 1 / -1; max-width: none; width: auto; }
  table.grid.queue-table td.depth { text-align: left; }
  table.grid.queue-table td.actions { grid-column: 1 / -1; width: auto; text-align: left; }
  .queue-table .preview-row > td { display: block; padding-left: 8px; }
}
`;
