// The console's stylesheet, served as a file (the CSP admits no inline style). Narrow screens get stacked tables and
// one-column facts; long names wrap; controls have borders of at least 3:1 against their background (WCAG 1.4.11).
export const STYLESHEET = `
:root {
  --ink: #1d2330; --muted: #5b6475; --line: #d9dee7; --control: #767f8f; --paper: #ffffff; --wash: #f4f6f9;
  --accent: #2358c8; --accent-ink: #ffffff; --danger: #b42318; --ok: #167a3d; --warn-bg: #fff6e0; --warn-line: #e5b43c;
  --top: #1d2330; --live: #c2410c; --live-top: #4a1504;
  color-scheme: light;
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", sans-serif; color: var(--ink); background: var(--wash); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.top :focus-visible, .live-banner :focus-visible { outline-color: #ffd28a; }
code, .mono { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.92em; }
h1 { font-size: 1.5rem; margin: 0 0 0.75rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 0.5rem; }
h1, h2, td, dd, .account-name, .key-name, .key-title, .lead, p, li, legend, label { overflow-wrap: anywhere; }
.vh { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.skip-link { position: absolute; left: 0.75rem; top: -4rem; z-index: 10; padding: 0.5rem 0.9rem; background: var(--paper); color: var(--accent); border: 2px solid var(--accent); border-radius: 6px; }
.skip-link:focus { top: 0.5rem; }
main:focus { outline: none; }

.top { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 1.25rem; padding: 0.6rem 1.5rem; background: var(--top); color: #fff; }
.top a { color: #fff; }
.brand { font-weight: 700; letter-spacing: 0.02em; text-decoration: none; }
.top .account { color: #d5dced; min-width: 0; }
.top .account code { color: #b8c2d6; }
.top .operator { display: flex; gap: 1rem; }
.top .who { margin-left: auto; display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 0.75rem; color: #d5dced; min-width: 0; }
.top .who strong { color: #fff; font-weight: 600; }
.top .who form { margin: 0; }
.top .who button { background: transparent; color: #fff; border-color: #8a94a8; }
body.env-production { --top: var(--live-top); }
.live-banner { background: var(--live); color: #fff; padding: 0.45rem 1.5rem; font-size: 0.95em; }
.tabs { display: flex; flex-wrap: wrap; gap: 0.25rem; padding: 0 1.5rem; background: var(--paper); border-bottom: 1px solid var(--line); }
.tabs a { padding: 0.6rem 0.9rem; text-decoration: none; color: var(--muted); border-bottom: 3px solid transparent; }
.tabs a[aria-current="page"] { color: var(--ink); border-bottom-color: var(--accent); font-weight: 600; }
body.env-production .tabs a[aria-current="page"] { border-bottom-color: var(--live); }

main { max-width: 1260px; margin: 1.5rem auto; padding: 0 1.5rem; }
.panel { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 1.25rem 1.5rem; margin-bottom: 1.25rem; }
.panel > h1:first-child, .panel > h2:first-child { margin-top: 0; }
.sign-in { margin: 3rem auto; }
.fineprint { color: var(--muted); font-size: 0.88em; margin: 1.25rem 0 0; }
.narrow { max-width: 620px; }
.table-panel { padding: 0.75rem; }
.lead { color: var(--muted); margin-top: 0; }
.breadcrumb { margin: 0 0 0.5rem; }
.endpoint { display: flex; flex-wrap: wrap; align-items: center; gap: 0.25rem 0.5rem; margin-bottom: 1rem; }
.key-heading { display: flex; flex-wrap: wrap; align-items: center; gap: 0.5rem 0.75rem; margin-bottom: 0.75rem; }
.key-heading h1 { margin: 0; min-width: 0; }
.key-actions { display: flex; flex-wrap: wrap; gap: 0.5rem; margin-bottom: 1.25rem; }
.key-actions form, .extend form { margin: 0; }
.extend { display: flex; flex-wrap: wrap; gap: 0.4rem; }
.extend button { padding: 0.2rem 0.6rem; font-size: 0.85em; }

table { width: 100%; border-collapse: collapse; background: var(--paper); table-layout: auto; }
th, td { text-align: left; padding: 0.55rem 0.5rem; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 0.82rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); font-weight: 600; }
td .sub { display: block; color: var(--muted); font-size: 0.85em; }
.sub { color: var(--muted); font-size: 0.85em; }
table.keys td:first-child { max-width: 16rem; }
.key-name { font-weight: 600; }
.application-id, .secret-hint { word-break: break-all; }
.actions { display: grid; grid-template-columns: repeat(2, max-content); gap: 0.3rem; }
.actions form { margin: 0; }
.actions button, .actions .button { width: 100%; padding: 0.2rem 0.55rem; font-size: 0.85em; text-align: center; }
time { white-space: nowrap; }
.local-time { white-space: nowrap; }
time.beside { color: var(--muted); }
time.beside::before { content: "("; }
time.beside::after { content: ")"; }

label { display: block; font-weight: 600; margin: 0.75rem 0 0.25rem; }
label .hint { font-weight: 400; color: var(--muted); }
.hint { color: var(--muted); }
input[type="text"], input[type="password"], input[type="datetime-local"], input[type="search"], select {
  width: 100%; max-width: 32rem; padding: 0.45rem 0.6rem; font: inherit; border: 1px solid var(--control); border-radius: 6px; background: #fff; color: var(--ink);
}
textarea {
  display: block; width: 100%; max-width: 40rem; padding: 0.45rem 0.6rem; border: 1px solid var(--control); border-radius: 6px; background: #fff; color: var(--ink);
  font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.85em; resize: vertical;
}
input[aria-invalid="true"], select[aria-invalid="true"], textarea[aria-invalid="true"] { border-color: var(--danger); border-width: 2px; }
.auth-method label.choice { display: flex; align-items: center; gap: 0.45rem; font-weight: 400; margin: 0.3rem 0; }
.auth-method label.choice > span { min-width: 0; }
/* The paste belongs to private_key_jwt: hidden while a client secret is chosen (no script needed). */
.auth-method:has(#auth-client_secret:checked) .jwks-field { display: none; }
fieldset.limit { display: flex; flex-wrap: wrap; align-items: flex-start; gap: 0 1rem; }
fieldset.limit > legend { font-weight: 400; margin: 0.5rem 0 0; width: 100%; }
.limit-input { min-width: 0; }
.limit-input label { font-weight: 400; font-size: 0.9em; margin: 0.25rem 0 0.15rem; }
.limit-input input, .limit-input select { width: 11rem; max-width: 100%; }
.public-key-list { list-style: none; margin: 0; padding: 0; }
.public-key + .public-key { border-top: 1px solid var(--line); margin-top: 0.75rem; padding-top: 0.75rem; }
.thumbprint { word-break: break-all; }
input[type="checkbox"], input[type="radio"] { accent-color: var(--accent); width: 1.05rem; height: 1.05rem; }
fieldset { border: 0; padding: 0; margin: 0; min-width: 0; }
legend { font-weight: 600; padding: 0; margin: 0.75rem 0 0.25rem; }
.checks label { display: inline-flex; align-items: center; gap: 0.3rem; font-weight: 400; margin-right: 1rem; }
.expiry label.choice { display: flex; align-items: center; gap: 0.45rem; font-weight: 400; margin: 0.3rem 0; }
.expiry label.choice > span { min-width: 0; }
.never-warning { margin: 0 0 0.3rem 1.6rem; padding: 0.35rem 0.6rem; border-left: 3px solid var(--warn-line); background: var(--warn-bg); font-size: 0.88em; }
.date-row { display: flex; flex-wrap: wrap; align-items: center; gap: 0.3rem 0.6rem; margin-left: 1.6rem; }
.date-row input { width: auto; max-width: 100%; }
.field-error { color: var(--danger); margin: 0.25rem 0 0; font-size: 0.9em; font-weight: 600; }
button, .button {
  display: inline-block; padding: 0.4rem 0.85rem; font: inherit; font-size: 0.92em; line-height: 1.4; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--control); background: #fff; color: var(--ink); text-decoration: none; text-align: center;
}
button.primary, .button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-ink); }
button.danger, .button.danger { background: var(--danger); border-color: var(--danger); color: #fff; }
.button.danger-outline { color: var(--danger); border-color: var(--danger); }
button:disabled { opacity: 0.55; cursor: not-allowed; }
.form-row { margin-top: 1rem; display: flex; flex-wrap: wrap; gap: 0.5rem; align-items: center; }
.filters { display: flex; flex-wrap: wrap; align-items: flex-end; gap: 0.5rem 0.75rem; margin: 0 0 0.75rem; }
.filters label { margin: 0 0 0.2rem; font-size: 0.9em; }
.filter { min-width: 0; flex: 0 1 16rem; }
.filter-buttons { display: flex; gap: 0.4rem; flex: 0 0 auto; }
.filter-result { margin: 0 0 0.5rem; color: var(--muted); }

.badge { display: inline-block; padding: 0.05rem 0.5rem; border-radius: 999px; font-size: 0.82em; font-weight: 600; white-space: nowrap; }
.attempts { white-space: nowrap; }
.badge.active { background: #e3f4e8; color: var(--ok); }
.badge.disabled { background: #eceef2; color: var(--muted); }
.badge.expired, .badge.revoked { background: #fde8e6; color: var(--danger); }
.badge.retired { background: #eceef2; color: var(--muted); }
.env-badge.sandbox { background: #e8eefb; color: #1e4fb3; }
.env-badge.production { background: #fde7dc; color: #9a3412; }
.never-expires { color: #8a5a00; }
.scope { display: inline-block; margin: 0 0.25rem 0.2rem 0; padding: 0 0.4rem; border-radius: 4px; background: var(--wash); border: 1px solid var(--line); overflow-wrap: anywhere; }
.notice, .error, .warning, .readonly { border-radius: 6px; padding: 0.7rem 1rem; margin-bottom: 1rem; border: 1px solid; }
.notice { background: #e9f6ee; border-color: #a6d8b6; }
.error { background: #fdeceb; border-color: #f0b8b3; color: #7a1a12; }
.warning { background: var(--warn-bg); border-color: var(--warn-line); }
.warning ul { margin: 0; padding-left: 1.2rem; }
.warning li + li { margin-top: 0.35rem; }
.confirm dl.facts { margin-bottom: 1rem; }
label.option { display: flex; gap: 0.5rem; align-items: baseline; font-weight: 400; }
.readonly { background: #eef2fb; border-color: #c3cfeb; }
.usage { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.25rem 0.75rem; margin-bottom: 0.75rem; }
.usage strong { font-size: 1.1rem; }
.usage meter { width: 10rem; height: 0.8rem; }
dl.facts { display: grid; grid-template-columns: max-content minmax(0, 1fr); gap: 0.5rem 1.25rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; display: flex; align-items: center; gap: 0.5rem; flex-wrap: wrap; min-width: 0; }
.copy-row { display: inline-flex; flex-wrap: wrap; align-items: center; gap: 0.4rem; min-width: 0; max-width: 100%; }
.copyable { padding: 0.35rem 0.55rem; background: var(--wash); border: 1px solid var(--line); border-radius: 6px; user-select: all; word-break: break-all; white-space: pre-wrap; min-width: 0; }
.secret { font-size: 1.02em; background: #fffdf5; border-color: var(--warn-line); }
.empty { color: var(--muted); padding: 1rem 0; }
.empty-state { padding: 0.5rem 0.75rem 1rem; }
.empty-state h2 { margin-top: 0.5rem; }
.pager { margin-top: 1rem; display: flex; flex-wrap: wrap; gap: 1rem; }
.usage-switch { display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; }
.usage-switch a[aria-current="page"] { color: var(--ink); font-weight: 600; text-decoration: none; }
.usage-chart { margin: 1rem 0 0; }
.usage-chart figcaption { font-weight: 600; margin-bottom: 0.25rem; }
.usage-chart figcaption .usage-total { font-weight: 400; color: var(--muted); }
.usage-chart > svg { display: block; width: 100%; height: 150px; }
.legend { list-style: none; display: flex; flex-wrap: wrap; gap: 0.25rem 1rem; margin: 0.3rem 0 0; padding: 0; font-size: 0.88em; }
.legend .swatch { width: 0.8rem; height: 0.8rem; vertical-align: -0.1rem; }
footer { max-width: 1260px; margin: 2rem auto; padding: 0 1.5rem; color: var(--muted); font-size: 0.85em; }

@media (min-width: 1101px) {
  /* Wide enough for the name and scopes to keep a readable column beside the dates and buttons. */
  table.keys td:first-child { min-width: 10rem; max-width: 18rem; }
  table.keys td:nth-child(3) { min-width: 7.5rem; }
}
@media (max-width: 900px) {
  .top, .tabs, .live-banner { padding-left: 1rem; padding-right: 1rem; }
  main, footer { padding: 0 1rem; }
  .panel { padding: 1rem; }
  table.stack, table.stack tbody, table.stack tr, table.stack td { display: block; width: 100%; max-width: none; }
  table.stack thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  table.stack tr { border: 1px solid var(--line); border-radius: 8px; margin-bottom: 0.75rem; padding: 0.25rem 0.75rem; }
  table.stack td { border-bottom: 0; padding: 0.35rem 0; }
  table.stack td:first-child { max-width: none; }
  table.stack td::before { content: attr(data-label); display: block; font-size: 0.75rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); font-weight: 600; }
  .actions { grid-template-columns: repeat(auto-fill, minmax(8.5rem, 1fr)); }
}
@media (max-width: 560px) {
  dl.facts { grid-template-columns: minmax(0, 1fr); gap: 0.15rem; }
  dl.facts dd { margin-bottom: 0.6rem; }
  .top .who { margin-left: 0; }
  h1 { font-size: 1.3rem; }
}
`;
