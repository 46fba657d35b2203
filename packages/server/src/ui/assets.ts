/**
 * The console's only asset, inlined in the bundle (and so in the single executable): no file
 * from outside, no font, no script. Served from `/ui/assets/console.css` for the CSP's `style-src 'self'`.
 * Colours keep at least 4.5:1 contrast; focus is always visible.
 */
export const CONSOLE_CSS = `
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;background:#fafafa}
a{color:#0b57d0}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #b3261e;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px 8px;z-index:1}
header{display:flex;flex-wrap:wrap;align-items:center;gap:16px;padding:8px 24px;background:#1f2937;color:#fff}
header a{color:#fff}
header .brand{font-weight:700;margin-right:8px}
header nav ul{display:flex;gap:16px;list-style:none;margin:0;padding:0}
header nav a[aria-current=page]{font-weight:700;text-decoration-thickness:3px}
header .who{margin-left:auto;font-size:.9em}
header form{margin:0}
main{max-width:1100px;margin:0 auto;padding:16px 24px 48px}
h1{font-size:1.6em;margin:8px 0 16px}
h2{font-size:1.2em;margin:24px 0 8px}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:6px 8px;border-bottom:1px solid #d0d0d0;vertical-align:top}
th{background:#eef0f3}
form.filters,form.stack{display:flex;flex-wrap:wrap;gap:12px;align-items:flex-end;margin:0 0 16px}
form.stack{flex-direction:column;align-items:stretch;max-width:520px}
label{display:flex;flex-direction:column;font-weight:600;font-size:.95em;gap:2px}
fieldset{border:1px solid #c4c4c4;padding:8px 12px}
fieldset label{flex-direction:row;gap:6px;font-weight:400}
input,select,button{font:inherit;padding:6px 8px;border:1px solid #6b6b6b;border-radius:4px}
button{background:#0b57d0;color:#fff;border-color:#0b57d0;cursor:pointer}
button.danger{background:#b3261e;border-color:#b3261e}
button.link{background:none;border:none;color:#0b57d0;text-decoration:underline;padding:0}
.actions{display:flex;gap:12px;align-items:center;flex-wrap:wrap}
.actions form{margin:0}
.notice{padding:8px 12px;background:#e6f4ea;border:1px solid #137333;margin:0 0 16px}
.error{padding:8px 12px;background:#fce8e6;border:1px solid #b3261e;margin:0 0 16px}
.secret{font-family:ui-monospace,monospace;background:#fff;border:1px solid #6b6b6b;padding:8px;word-break:break-all;white-space:pre-wrap}
.hint{font-weight:400;color:#4a4a4a;font-size:.9em}
.pager{display:flex;gap:16px;margin-top:12px}
`;
