/* The operators' page: each read model's state and lag per stream, the dead letters with their
 * error and attempts, and a button that retries them (POST /admin/projections/retry-dead-letters).
 */
"use strict";

(() => {
  const { t, L, field, integer, el, downloads } = window.Eduplan;

  async function get(path) {
    const asked = `${path}${path.includes("?") ? "&" : "?"}lang=${window.Eduplan.lang}`;
    const response = await fetch(asked, { headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => ({}));
    if (response.status === 401) location.assign(`/login?next=${encodeURIComponent("/operations")}`);
    if (!response.ok) throw new Error(body.message || response.statusText);
    return body;
  }

  function grid(name, headers, rows) {
    const table = el("table", { "data-testid": `${name}-table` },
      el("caption", { text: t(`ops_${name}`) }),
      el("thead", {}, el("tr", {}, headers.map((h) =>
        el("th", { scope: "col", className: h.num ? "num" : null }, h.title)))),
      el("tbody", {}, rows));
    return [downloads(table, name), el("div", { className: "scroll" }, table)];
  }

  function numCell(value) {
    return el("td", { className: "num", "data-value": value }, integer(value));
  }

  async function projections() {
    const status = await get("/admin/projections");
    const rows = status.flatMap((p) => Object.entries(p.sources).map(([source, s]) =>
      el("tr", { "data-testid": "projection-row", "data-projection": p.projection,
        "data-lag": s.lag, className: s.lag || p.error ? "alarm" : null },
      el("td", { text: p.projection }),
      el("td", {}, el("span", { className: `badge s-${p.state}` }, L("status", p.state))),
      el("td", { text: source }),
      numCell(s.checkpoint), numCell(s.stream_last), numCell(s.lag),
      el("td", { className: "sub", text: p.error || "" }))));
    return grid("projections", [
      { title: field("projection") }, { title: field("state") }, { title: field("source") },
      { title: field("applied_through"), num: true }, { title: field("stream_last"), num: true },
      { title: field("lag"), num: true }, { title: field("error") }], rows);
  }

  async function letters() {
    const found = await get("/api/dead-letters");
    const rows = found.dead_letters.map((d) => el("tr", { "data-testid": "dead-letter-row" },
      el("td", { text: d.projection }), el("td", { text: d.event_type }),
      numCell(d.attempts), el("td", { text: d.failed_at }),
      el("td", { className: "payload", text: d.error || "" })));
    const retry = el("button", { type: "button", "data-testid": "retry-dead-letters",
      disabled: !found.count, on: { click: async () => {
        const response = await fetch("/admin/projections/retry-dead-letters", { method: "POST" });
        const result = await response.json();
        retry.after(el("p", { className: "note", "data-testid": "retry-result",
          text: t("retry_started", { result: JSON.stringify(result) }) }));
        await show();
      } } }, t("retry_dead_letters"));
    return [
      el("p", { className: "headline" }, el("strong", { "data-testid": "dead-letter-count",
        text: integer(found.count) }), " ", field("event_type"), " · ", retry),
      grid("dead_letters", [{ title: field("projection") }, { title: field("event_type") },
        { title: field("attempts"), num: true }, { title: field("failed_at") },
        { title: field("error") }], rows),
    ];
  }

  async function part(id, work) {
    const body = document.querySelector(`#${id} .body`);
    try {
      body.replaceChildren(...[await work()].flat(Infinity));
    } catch (exc) {
      body.replaceChildren(el("p", { className: "error", role: "alert", "data-testid": "section-error" },
        t("section_error", { message: exc.message })));
    }
  }

  async function show() {
    await Promise.all([part("projections", projections), part("letters", letters)]);
    document.getElementById("operations").dataset.state = "ready";
  }

  window.Eduplan.loadCatalogue().then(show);
})();
