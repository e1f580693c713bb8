"""The HTML page of `aiochain report`: one self-contained file, no network needed.

Plots are inline SVG (`_svg`), the style and the small script that sorts and filters the table
of rows are inline too, so the file can be attached to a ticket and opened anywhere. When the
script has run without an error it writes `ok` into `#report-status` (the browser test reads
it); an error writes `error: ...` there instead. The table's view (filter, status, sort) is
kept in the address's fragment, e.g. `report.html#status=failed&sort=seconds:desc`, so a link
can point at it.
"""

from __future__ import annotations

import datetime
import json
from html import escape
from typing import Any

from . import svg as _svg

INLINE_ROWS = 10_000
"""Rows of the table of all rows put in the page; the rest are in `aiochain report --json`."""

_CSS = """
:root{--fg:#1d232b;--muted:#5b6570;--line:#d8dde3;--bg:#fff;--card:#f5f7f9;
--s0:#2f6fdf;--s1:#d9412b;--s2:#e39a12;--s3:#2c9a5b;--s4:#7b4fd0}
*{box-sizing:border-box}
body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);
background:var(--bg)}
main{max-width:1280px;margin:0 auto;padding:16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.sub{color:var(--muted);margin:0;overflow-wrap:anywhere}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(140px,1fr));gap:8px;
margin-top:16px}
.card{background:var(--card);border-radius:8px;padding:8px 12px}
.card b{display:block;font-size:19px}.card span{color:var(--muted);font-size:12px}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,420px),1fr));gap:16px}
figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:10px}
figcaption{font-weight:600;margin-bottom:4px}
.legend{color:var(--muted);font-size:12px;font-weight:400;margin-left:6px}
.sw{display:inline-block;width:10px;height:10px;border-radius:2px;margin:0 3px 0 8px}
svg.chart{width:100%;height:auto;display:block}
.grid{stroke:var(--line);stroke-width:1}.tick{fill:var(--muted);font-size:11px}
polyline{fill:none;stroke-width:2;stroke-linejoin:round}
.s0{stroke:var(--s0);background:var(--s0)}.s1{stroke:var(--s1);background:var(--s1)}
.s2{stroke:var(--s2);background:var(--s2)}.s3{stroke:var(--s3);background:var(--s3)}
.s4{stroke:var(--s4);background:var(--s4)}
.bar{fill:var(--s0);opacity:.8}.marker{stroke-width:1.5;stroke-dasharray:4 3}
.m0{stroke:var(--s3);fill:var(--s3)}.m1{stroke:var(--s2);fill:var(--s2)}
.m2{stroke:var(--s1);fill:var(--s1)}.mark{font-size:11px;stroke:none}
.empty{color:var(--muted)}
.scroll{overflow-x:auto;border:1px solid var(--line);border-radius:8px}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
th{background:var(--card);position:sticky;top:0;white-space:nowrap}
th[data-col]{cursor:pointer}th[aria-sort=ascending]::after{content:" \\25B2"}
th[aria-sort=descending]::after{content:" \\25BC"}
td.err{max-width:480px;overflow-wrap:anywhere}.failed{color:var(--s1)}
.settings td:first-child{color:var(--muted);white-space:nowrap;width:1%}
.settings td{overflow-wrap:anywhere;white-space:pre-wrap}
.controls{display:flex;flex-wrap:wrap;gap:8px;margin-bottom:8px;align-items:center}
input,select{font:inherit;padding:5px 8px;border:1px solid var(--line);border-radius:6px}
input{flex:1 1 220px}.note{color:var(--muted);font-size:13px}
@media (max-width:600px){.tick,.mark{font-size:19px}main{padding:10px}}
"""

_SCRIPT = """
(function(){
var status=document.getElementById('report-status');
window.addEventListener('error',function(e){status.textContent='error: '+e.message;});
try{
var data=JSON.parse(document.getElementById('rows-data').textContent);
var fields=data.fields,rows=data.rows,body=document.getElementById('rows-body');
var filter=document.getElementById('filter'),only=document.getElementById('only');
var count=document.getElementById('shown'),sortCol=-1,sortDir=1;
var numeric={run:1,start:1,seconds:1,request_seconds:1,attempts:1,rate_limited:1,prompt_tokens:1,
completion_tokens:1,cost:1};
function esc(s){return String(s).replace(/[&<>"]/g,function(c){
return {'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;'}[c];});}
function cell(v,f){
if(v===null||v===undefined)return '<td'+(numeric[f]?' class="n"':'')+'></td>';
if(f==='cost')return '<td class="n">'+(+v).toPrecision(3)+'</td>';
if(f==='start'||f==='seconds')return '<td class="n">'+(+v).toFixed(3)+'</td>';
if(numeric[f])return '<td class="n">'+v+'</td>';
if(f==='status')return '<td class="'+esc(v)+'">'+esc(v)+'</td>';
if(f==='error')return '<td class="err">'+esc(v)+'</td>';
return '<td>'+esc(v)+'</td>';}
function render(){
var text=filter.value.toLowerCase(),want=only.value,out=[],n=0;
var list=rows.filter(function(r){
if(want&&r[1]!==want)return false;
if(!text)return true;
for(var i=0;i<r.length;i++){if(r[i]!==null&&String(r[i]).toLowerCase().indexOf(text)>=0)
return true;}
return false;});
if(sortCol>=0){list.sort(function(a,b){var x=a[sortCol],y=b[sortCol];
if(x===y)return 0;if(x===null)return 1;if(y===null)return -1;
return (x<y?-1:1)*sortDir;});}
for(var i=0;i<list.length;i++){var r=list[i],h='<tr>';
for(var j=0;j<r.length;j++)h+=cell(r[j],fields[j]);out.push(h+'</tr>');n++;}
body.innerHTML=out.join('');count.textContent=n+' of '+rows.length+' rows';
var view=[];if(filter.value)view.push('q='+encodeURIComponent(filter.value));
if(want)view.push('status='+want);
if(sortCol>=0)view.push('sort='+fields[sortCol]+(sortDir>0?':asc':':desc'));
try{history.replaceState(null,'',view.length?'#'+view.join('&'):location.pathname);}catch(e){}}
var heads=document.querySelectorAll('#rows th[data-col]');
function mark(){Array.prototype.forEach.call(heads,function(o){
if(+o.getAttribute('data-col')===sortCol)
o.setAttribute('aria-sort',sortDir>0?'ascending':'descending');
else o.removeAttribute('aria-sort');});}
location.hash.slice(1).split('&').forEach(function(part){
var kv=part.split('='),v=decodeURIComponent(kv[1]||'');
if(kv[0]==='q')filter.value=v;
if(kv[0]==='status')only.value=v;
if(kv[0]==='sort'){var f=v.split(':');sortCol=fields.indexOf(f[0]);sortDir=f[1]==='desc'?-1:1;}});
mark();
Array.prototype.forEach.call(heads,function(th){th.addEventListener('click',function(){
var col=+th.getAttribute('data-col');sortDir=(col===sortCol)?-sortDir:1;sortCol=col;
mark();render();});});
filter.addEventListener('input',render);only.addEventListener('change',render);
render();
status.textContent='ok';
}catch(e){status.textContent='error: '+e;}
})();
"""

_HEADINGS = {
    "id": "id",
    "status": "status",
    "via": "via",
    "run": "run",
    "start": "start (s)",
    "seconds": "time in job (s)",
    "request_seconds": "request latency (s)",
    "attempts": "attempts",
    "rate_limited": "429s",
    "prompt_tokens": "prompt tokens",
    "completion_tokens": "completion tokens",
    "cost": "cost ($)",
    "error_class": "error class",
    "error": "error",
}
_NUMERIC = {"run", "start", "seconds", "request_seconds", "attempts", "rate_limited"}
_NUMERIC |= {"prompt_tokens"}
_NUMERIC |= {"completion_tokens", "cost"}


def render_report(report: dict[str, Any]) -> str:
    """The page for `report` (as `_report_data.load_report` builds it)."""
    summary = report["summary"]
    started = summary["started"]
    when = _when(started) if started is not None else "no timed rows"
    wall = summary["wall_seconds"]
    title = f"aiochain map report: {report['journal']}"
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width,initial-scale=1">',
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body><main>",
        "<h1>aiochain map report</h1>",
        f'<p class="sub">{escape(report["journal"])} · started {escape(when)}'
        + (f" · ran {wall:.3g} s" if wall is not None else "")
        + (f" in {summary['runs']} runs" if summary["runs"] > 1 else "")
        + "</p>",
        _cards(report),
        _runs(report),
        _charts(report),
        "<h2>Settings</h2>",
        _settings(report),
        f"<h2>Failed records ({len(report['failed'])})</h2>",
        _failed(report["failed"]),
        _rows(report),
        '<p id="report-status" class="note" hidden>pending</p>',
        "</main>",
        f'<script type="application/json" id="rows-data">{_rows_json(report)}</script>',
        f"<script>{_SCRIPT}</script></body></html>\n",
    ]
    return "".join(parts)


def _money(value: float) -> str:
    return f"${value:.4f}" if value >= 0.01 or value == 0 else f"${value:.6f}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.3f} s"


def _cards(report: dict[str, Any]) -> str:
    s, ask, held = report["summary"], report["request_latency"], report["time_in_job"]
    rate = s["records_per_second"]
    cards = [
        ("records", f"{s['records']:,}"),
        ("answered", f"{s['ok']:,}"),
        ("failed", f"{s['failed']:,}"),
        ("from cache", f"{s['cached']:,}"),
        ("requests", f"{s['requests']:,}"),
        ("429s", f"{s['rate_limited']:,}"),
        ("retries", f"{s['retries']:,}"),
        ("tokens", f"{s['prompt_tokens'] + s['completion_tokens']:,}"),
        ("cost", _money(s["cost"])),
        ("rows per second (while running)", "-" if rate is None else f"{rate:.3g}"),
        ("request latency p50", _seconds(ask["p50"])),
        ("request latency p95", _seconds(ask["p95"])),
        ("time in job p50", _seconds(held["p50"])),
        ("time in job p95", _seconds(held["p95"])),
        ("time in job p99", _seconds(held["p99"])),
    ]
    items = "".join(
        f'<div class="card"><b>{escape(value)}</b><span>{escape(name)}</span></div>'
        for name, value in cards
    )
    note = ""
    if s["untimed_rows"]:
        note = (
            f'<p class="note">{s["untimed_rows"]:,} row(s) were written by an older aiochain '
            "that kept no timings: they count in the totals, not in the plots.</p>"
        )
    return f'<section class="cards">{items}</section>{note}'


def _figure(caption: str, legend: list[tuple[str, str]], chart: str) -> str:
    keys = "".join(f'<i class="sw {css}"></i>{escape(name)}' for css, name in legend)
    return (
        f"<figure><figcaption>{escape(caption)}"
        f'<span class="legend">{keys}</span></figcaption>{chart}</figure>'
    )


def _charts(report: dict[str, Any]) -> str:
    line = report["timeline"]
    t, ask, held = line["t"], report["request_latency"], report["time_in_job"]
    per = f"per {_svg.number(line['bucket_seconds'])} s" if line["bucket_seconds"] else ""
    figures = [
        _figure(
            "Throughput",
            [("s0", "done / s"), ("s1", "failed / s")],
            _svg.line_chart(
                "rows finished per second",
                t,
                [
                    ("s0", line.get("done_per_second", [])),
                    ("s1", line.get("failed_per_second", [])),
                ],
            ),
        ),
        _figure(
            "In flight",
            [("s4", "mean rows in flight")],
            _svg.line_chart("rows in flight", t, [("s4", line.get("in_flight", []))]),
        ),
        _latency_figure("Request latency (from being sent to the answer)", "request latency", ask),
        _latency_figure(
            "Time in job of answered records (queued, retries and chunks included)",
            "time in job",
            held,
        ),
        _figure(
            f"Requests answered per second (split chunks at their own times), {per}",
            [("s0", "requests / s")],
            _svg.line_chart(
                "requests answered per second", t, [("s0", line.get("requests_per_second", []))]
            ),
        ),
        _figure(
            f"429s and retries {per}",
            [("s1", "429s"), ("s2", "retries")],
            _svg.line_chart(
                "429s and retries over time",
                t,
                [("s1", line.get("rate_limited", [])), ("s2", line.get("retries", []))],
            ),
        ),
        _figure(
            "Tokens (cumulative)",
            [("s0", "prompt + completion")],
            _svg.line_chart("tokens, cumulative", t, [("s0", line.get("tokens", []))]),
        ),
        _figure(
            "Cost in $ (cumulative)",
            [("s3", "this journal's rows")],
            _svg.line_chart("cost, cumulative", t, [("s3", line.get("cost", []))]),
        ),
    ]
    return f'<h2>Over time</h2><section class="charts">{"".join(figures)}</section>'


def _latency_figure(caption: str, name: str, lat: dict[str, Any]) -> str:
    return _figure(
        caption,
        [("s3", "p50"), ("s2", "p95"), ("s1", "p99")],
        _svg.histogram(
            f"{name} histogram",
            lat["counts"],
            lat["bin_seconds"],
            [(f"{k} {lat[k]:.3g} s", lat[k]) for k in ("p50", "p95", "p99") if lat[k]],
        ),
    )


def _runs(report: dict[str, Any]) -> str:
    """One line per run of the job (a resumed job has several); the time between runs is
    idle, and left out of the rates and the plots."""
    runs = report["runs"]
    if len(runs) < 2:
        return ""
    body = "".join(
        f"<tr><td class=n>{r['run']}</td><td>{escape(_when(r['started']))}</td>"
        f"<td class=n>{r['wall_seconds']:.3g}</td><td class=n>{r['rows']:,}</td>"
        f"<td class=n>{r['failed']:,}</td><td class=n>{r['requests']:,}</td>"
        f"<td class=n>{_rate(r['records_per_second'])}</td></tr>"
        for r in runs
    )
    return (
        f"<h2>Runs ({len(runs)})</h2>"
        '<div class="scroll"><table><thead><tr><th class=n>run</th><th>started</th>'
        "<th class=n>seconds</th><th class=n>rows</th><th class=n>failed</th>"
        f"<th class=n>requests</th><th class=n>rows / s</th></tr></thead><tbody>{body}"
        "</tbody></table></div>"
    )


def _rate(value: float | None) -> str:
    return "-" if value is None else f"{value:.3g}"


def _when(started: float) -> str:
    return datetime.datetime.fromtimestamp(started, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _settings(report: dict[str, Any]) -> str:
    values: dict[str, Any] = {**report["job"], **report["settings"]}
    endpoint = values.get("endpoint")
    if isinstance(endpoint, str):  # shown without its scheme: text, not a link
        values["endpoint"] = endpoint.split("://", 1)[-1]
    if isinstance(values.get("run_started"), float | int):
        values["run_started"] = _when(values["run_started"])
    rows = "".join(
        f"<tr><td>{escape(name)}</td><td>{escape(_plain(value))}</td></tr>"
        for name, value in values.items()
    )
    return f'<div class="scroll"><table class="settings">{rows}</table></div>'


def _plain(value: Any) -> str:
    if value is None:
        return "-"
    return value if isinstance(value, str) else json.dumps(value)


def _failed(failed: list[dict[str, Any]]) -> str:
    if not failed:
        return '<p class="note">None.</p>'
    shown = failed[:INLINE_ROWS]
    body = "".join(
        f"<tr><td>{escape(f['id'])}</td><td>{escape(f['error_class'] or '')}</td>"
        f'<td class="err">{escape(f["error"] or "")}</td>'
        f'<td class="n">{"" if f["attempts"] is None else f["attempts"]}</td></tr>'
        for f in shown
    )
    more = len(failed) - len(shown)
    note = f'<p class="note">{more:,} more: see aiochain report --json.</p>' if more else ""
    return (
        '<div class="scroll"><table><thead><tr><th>id</th><th>error class</th><th>error</th>'
        f'<th class="n">attempts</th></tr></thead><tbody>{body}</tbody></table></div>{note}'
    )


def _rows(report: dict[str, Any]) -> str:
    fields = report["row_fields"]
    heads = "".join(
        f'<th data-col="{i}"{" class=n" if f in _NUMERIC else ""}>{escape(_HEADINGS[f])}</th>'
        for i, f in enumerate(fields)
    )
    total = len(report["rows"])
    note = ""
    if total > INLINE_ROWS:
        note = (
            f'<p class="note">The first {INLINE_ROWS:,} of {total:,} rows are shown; '
            "aiochain report --json has them all.</p>"
        )
    return (
        f"<h2>All rows ({total:,})</h2>{note}"
        '<div class="controls"><input id="filter" type="search" '
        'placeholder="Filter: id, error, status…" aria-label="filter rows">'
        '<select id="only" aria-label="status"><option value="">all</option>'
        '<option value="ok">ok</option><option value="failed">failed</option>'
        '<option value="cached">cached</option></select>'
        '<span id="shown" class="note"></span></div>'
        f'<div class="scroll"><table id="rows"><thead><tr>{heads}</tr></thead>'
        '<tbody id="rows-body"></tbody></table></div>'
        "<noscript><p>The table of rows needs JavaScript.</p></noscript>"
    )


def _rows_json(report: dict[str, Any]) -> str:
    """The inline rows as JSON that cannot end the script element early."""
    data = {"fields": report["row_fields"], "rows": report["rows"][:INLINE_ROWS]}
    return json.dumps(data, separators=(",", ":")).replace("<", "\\u003c")
