/**
 * The portal's only static files, served by the Worker with long caching: a small stylesheet, and a
 * script that is pure enhancement (times shown in the viewer's zone before the zone cookie exists).
 */
export const PORTAL_CSS = `
:root{--ink:#1b1f24;--muted:#545b64;--line:#d0d7de;--bg:#f6f8fa;--accent:#0b57d0;--bad:#a40e26;--good:#116329;font-family:system-ui,-apple-system,"Segoe UI",sans-serif;color:var(--ink);line-height:1.45}
*{box-sizing:border-box}body{margin:0;background:#fff}
a{color:var(--accent)}a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible,textarea:focus-visible,[tabindex]:focus-visible{outline:3px solid #f9a825;outline-offset:2px}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:6px;z-index:9}
header.top{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;padding:.6rem 1rem;border-bottom:1px solid var(--line);background:var(--bg)}
header.top .brand{font-weight:700;color:var(--ink);text-decoration:none}
nav ul{display:flex;flex-wrap:wrap;gap:.25rem .9rem;list-style:none;margin:0;padding:0}
nav a[aria-current=page]{font-weight:700;color:var(--ink)}
.who{margin-left:auto;display:flex;gap:.5rem;align-items:center;flex-wrap:wrap;color:var(--muted);font-size:.9rem}
main{max-width:72rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;margin:.2rem 0 1rem}h2{font-size:1.15rem;margin:1.5rem 0 .5rem}
.table-wrap{overflow-x:auto;border:1px solid var(--line);border-radius:6px}
table{border-collapse:collapse;width:100%;font-size:.92rem}th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{background:var(--bg)}tr:last-child td{border-bottom:0}
form.stack{display:grid;gap:.4rem;max-width:34rem}form.stack>*{min-width:0}form.stack>label{margin-top:.5rem}form.stack input:not([type=checkbox]),form.stack select,form.stack textarea{width:100%}form.inline{display:inline}
label{display:grid;gap:.25rem;font-weight:600}label span.hint,.hint{font-weight:400;color:var(--muted);font-size:.88rem}
input,select,textarea{font:inherit;padding:.45rem .55rem;border:1px solid #8c959f;border-radius:4px;max-width:100%}
button,.button{font:inherit;padding:.45rem .9rem;border-radius:4px;border:1px solid var(--accent);background:var(--accent);color:#fff;cursor:pointer;text-decoration:none;display:inline-block}
button.secondary{background:#fff;color:var(--accent)}button.danger{background:var(--bad);border-color:var(--bad)}
.notice{padding:.7rem .9rem;border-radius:6px;border:1px solid var(--line);background:var(--bg);margin:0 0 1rem}
.notice.error{border-color:var(--bad);background:#fff0f0}.notice.ok{border-color:var(--good);background:#effaf1}
.empty{padding:1.2rem;border:1px dashed #8c959f;border-radius:6px;color:var(--muted)}
.secret{font-family:ui-monospace,monospace;word-break:break-all;background:#fff8c5;padding:.4rem;border-radius:4px;display:block;color:var(--ink)}
.badge{display:inline-block;padding:0 .4rem;border-radius:9px;border:1px solid var(--line);font-size:.8rem}
.badge.delivered,.badge.received,.badge.succeeded{color:var(--good);border-color:var(--good)}.badge.failed,.badge.exhausted{color:var(--bad);border-color:var(--bad)}
.badge.mode-live{color:var(--bad);border-color:var(--bad);font-weight:600}
pre.ocr{white-space:pre-wrap;word-break:break-word;background:var(--bg);border:1px solid var(--line);border-radius:6px;padding:.6rem;font-size:.9rem;max-height:24rem;overflow:auto}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:.8rem}.card{border:1px solid var(--line);border-radius:6px;padding:.8rem}.card .n{font-size:1.6rem;font-weight:700}
.previews{display:flex;flex-wrap:wrap;gap:.6rem}.previews img{width:12rem;max-width:100%;border:1px solid var(--line);background:#fff}
img.thumb{width:3.5rem;border:1px solid var(--line);background:#fff}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem}dl.facts dt{font-weight:600}dl.facts dd{margin:0}
.pager{display:flex;gap:1rem;margin:.8rem 0}.actions{display:flex;flex-wrap:wrap;gap:.5rem;align-items:center}
form.filters{display:flex;flex-wrap:wrap;gap:.4rem .6rem;align-items:center;margin:.8rem 0}
figure.chart{margin:1rem 0}figure.chart svg{width:100%;height:auto;max-width:48rem;display:block}figure.chart figcaption{color:var(--muted);font-size:.9rem}.legend{display:flex;gap:1rem;font-size:.9rem}.legend i{display:inline-block;width:.8rem;height:.8rem;margin-right:.3rem;vertical-align:middle}
fieldset{border:1px solid var(--line);border-radius:6px;display:grid;gap:.6rem;min-width:0}
h1,dd,td,code{overflow-wrap:anywhere}
@media (max-width:40rem){main{padding:.7rem}.who{margin-left:0}dl.facts{grid-template-columns:1fr}}
`;

/** Shows each <time> in the browser's zone and remembers the zone, so the server renders it next time. */
export const PORTAL_JS = `(() => {
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!zone) return;
  if (!document.cookie.split("; ").includes("edgefax_tz=" + encodeURIComponent(zone))) {
    document.cookie = "edgefax_tz=" + encodeURIComponent(zone) + "; Path=/portal; Max-Age=31536000; SameSite=Lax";
    const f = new Intl.DateTimeFormat("en-US", { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZone: zone, timeZoneName: "short" });
    for (const t of document.querySelectorAll("time[datetime]")) t.textContent = f.format(new Date(t.getAttribute("datetime")));
  }
})();
`;
