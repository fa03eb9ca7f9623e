/* The dashboard: fetches the projection service's JSON reports and draws them.
 *
 * Plain JavaScript, no framework and nothing from outside this server (a county office may be
 * offline). Each section loads on its own: one whose report fails shows the error, the others
 * still render. Every request carries `as_of` when a date is chosen. The controls live in the
 * page's query string (?county=&term=&year=&as_of=), so a view can be bookmarked.
 */
"use strict";

(() => {
  const PILOT_COUNTY = "610831";
  const FIRST_TERM = "2016-autumn";
  const FALLBACK_TERM = "2017-autumn";
  const MISSING_SHOWN = 100;
  const ALERTS_SHOWN = 20;
  const AUDIT_SHOWN = 50;

  const ALERTS_PAGE = 20;
  const STATUS_IDS = ["done", "on_track", "behind", "not_started", "no_target"];
  const TREND_TERMS = 8;
  const PROVINCE_PLANS = "/api/plan-progress";
  /* The province comparison reads every county's tasks from this report (no county): a
   * province report of its own plugs in here, rows of {county, task_id, status, actual}. */

  const { t, L, field, integer, money, day, el, svg, downloads } = window.Eduplan;
  const termName = window.Eduplan.term;

  /** Rounded down: 6,717 of 6,720 is 99.9%, never 100.0%. */
  const percent = (part, whole) =>
    whole ? `${(Math.floor((1000 * part) / whole) / 10).toFixed(1)}%` : "–";
  const decimal = (text) => (text === null || text === undefined ? "–" : Number(text).toFixed(3));
  const sum = (rows, key) => rows.reduce((total, r) => total + Number(r[key] || 0), 0);
  const countyName = (code) => (code ? L("county", code) : t("province"));

  function isoDay(date) {
    const pad = (n) => String(n).padStart(2, "0");
    return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
  }

  /** The term a day falls in: autumn from August to January, spring from February to July. */
  function termOn(day) {
    const [year, month] = day.split("-").map(Number);
    if (month >= 8) return `${year}-autumn`;
    return month === 1 ? `${year - 1}-autumn` : `${year}-spring`;
  }

  function termOrder(term) {
    const [year, season] = term.split("-");
    return Number(year) * 2 + (season === "autumn" ? 1 : 0);
  }

  function termsBetween(first, last) {
    const terms = [];
    for (let i = termOrder(last); i >= termOrder(first); i -= 1) {
      terms.push(`${Math.floor(i / 2)}-${i % 2 ? "autumn" : "spring"}`);
    }
    return terms;
  }

  /** The school year a term belongs to, by its first calendar year (2018-spring -> 2017). */
  function schoolYearOf(term) {
    const [year, season] = term.split("-");
    return season === "autumn" ? Number(year) : Number(year) - 1;
  }

  /** The day plan statuses are judged on (the business date, apart from as_of, the recording
   * time): the reporting API's default (/api/judged-on, the rule every report uses) unless a
   * term or judged_on is chosen; for a chosen term, its last calendar day of its first months
   * (31 December of an autumn term, 31 July of a spring term), or today if that is earlier. */
  function judgedOn() {
    if (state.judgedOn) return state.judgedOn;
    if (state.asOf) return state.asOf;
    const [year, season] = state.term.split("-");
    const end = season === "autumn" ? `${year}-12-31` : `${year}-07-31`;
    const today = isoDay(new Date());
    return end < today ? end : today;
  }

  // ---------------------------------------------------------------------------------------
  // State, URL and requests

  const state = {
    county: PILOT_COUNTY, term: "", year: "", asOf: "", judgedOn: "", yearFollowsTerm: true,
    schoolStage: "",
  };
  let me = { user: "", roles: [], counties: [] }; // who is logged in (/api/me)
  let countyList = []; // the county picker's counties (/api/county-names)
  let alertView = { page: 0, kind: "" }; // the alerts list: page and kind shown
  let generation = 0;
  let figures = null; // names of the figures the audit trail can trace

  /** A county viewer reads only their counties: never the province, first one by default. */
  const countyLimited = () => !me.roles.includes("province_viewer") && me.counties.length > 0;

  function readUrl() {
    const q = new URLSearchParams(location.search);
    const fallback = countyLimited() ? me.counties[0] : PILOT_COUNTY;
    state.county = q.has("county") ? q.get("county").trim() : fallback;
    if (countyLimited() && !me.counties.includes(state.county)) state.county = me.counties[0];
    state.term = q.get("term") || "";
    state.asOf = q.get("as_of") || "";
    state.judgedOn = q.get("judged_on") || "";
    state.year = q.get("year") || "";
    state.yearFollowsTerm = !q.has("year");
  }

  function writeUrl() {
    const q = new URLSearchParams();
    q.set("county", state.county);
    q.set("term", state.term);
    if (!state.yearFollowsTerm) q.set("year", state.year);
    if (state.asOf) q.set("as_of", state.asOf);
    if (state.judgedOn) q.set("judged_on", state.judgedOn);
    q.set("lang", window.Eduplan.lang);
    history.replaceState(null, "", `${location.pathname}?${q}`);
  }

  class ApiError extends Error {}

  async function api(path, params) {
    const q = new URLSearchParams();
    for (const [key, value] of Object.entries(params || {})) {
      if (value !== null && value !== undefined && value !== "") q.set(key, value);
    }
    if (state.asOf) q.set("as_of", state.asOf);
    q.set("lang", window.Eduplan.lang); // the server's sentences in the page's language
    const url = `${path}?${q}`;
    let response;
    try {
      response = await fetch(url, { headers: { Accept: "application/json" } });
    } catch (exc) {
      throw new ApiError(`${path}: ${t("unreachable", { message: exc.message })}`);
    }
    const text = await response.text();
    let body = null;
    try {
      body = JSON.parse(text);
    } catch {
      body = null;
    }
    if (response.status === 401) {
      location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
      throw new ApiError(`${path}: ${t("session_ended")}`);
    }
    if (!response.ok) {
      const why = body && body.message ? body.message : text.slice(0, 300) || response.statusText;
      const code = body && body.error ? ` ${body.error}` : "";
      throw new ApiError(t("answered", { path, status: `${response.status}${code}`, message: why }));
    }
    return body;
  }

  /** Where a county is optional, empty means the province. */
  const county = () => state.county || null;

  // ---------------------------------------------------------------------------------------
  // Sections: each loads and renders on its own

  function section(id) {
    const node = document.getElementById(id);
    return { node, body: node.querySelector(":scope > .body") };
  }

  async function load(id, work, current) {
    const { node, body } = section(id);
    node.dataset.state = "loading";
    node.setAttribute("aria-busy", "true");
    if (!body.childElementCount) body.append(el("p", { className: "loading", text: t("loading") }));
    try {
      const content = await work();
      if (current !== generation) return;
      body.replaceChildren(...[content].flat(Infinity));
      node.dataset.state = "ready";
    } catch (exc) {
      if (current !== generation) return;
      body.replaceChildren(errorBox(exc));
      node.dataset.state = "error";
      if (!(exc instanceof ApiError)) console.error(exc);
    } finally {
      if (current === generation) node.setAttribute("aria-busy", "false");
    }
  }

  function errorBox(exc) {
    return el("p", { className: "error", role: "alert", "data-testid": "section-error" },
      t("section_error", { message: exc.message }));
  }

  /** A table with its downloads (Excel, CSV); columns marked `opt` give way on a phone. */
  function table(caption, columns, rows, extra) {
    const head = el("tr", {}, columns.map((c) =>
      el("th", { scope: "col", className: [c.num ? "num" : "", c.opt ? "opt" : ""].join(" ").trim() || null,
        "data-sort": c.sort || null }, c.title)));
    columns.forEach((c, i) => {
      if (!c.opt) return;
      for (const tr of rows) if (tr.children[i]) tr.children[i].classList.add("opt");
    });
    const name = (extra && extra["data-testid"]) || "table";
    const grid = el("table", extra || {},
      el("caption", { text: caption }),
      el("thead", {}, head),
      el("tbody", {}, rows),
    );
    return el("div", { className: "scroll" }, downloads(grid, name), grid);
  }

  function cell(content, attrs) {
    return el("td", attrs || {}, content);
  }

  function num(value, name, text) {
    const isMoney = /amount|paid|granted_money/.test(name) || (typeof text === "string" && text.startsWith("¥"));
    return el("td", { className: "num", "data-field": name, "data-value": value,
      "data-money": isMoney ? "true" : null }, text === undefined ? integer(value) : text);
  }

  function badge(status, text) {
    return el("span", { className: `badge s-${status}`, "data-status": status }, text || status);
  }

  /** A small link to the events behind a figure, when the audit trail maps that figure. */
  function eventsLink(figure, params, what, shown) {
    if (!figures || !figures.has(figure)) return null;
    const search = { figure, ...params };
    if (county()) search.county = county();
    const q = new URLSearchParams(search);
    if (state.asOf) q.set("as_of", state.asOf);
    return el("a", {
      className: "events",
      href: `/api/audit/behind?${q}`,
      "data-testid": "events-link",
      "data-figure": figure,
      "data-params": JSON.stringify(search),
      "aria-label": t("events_behind", { what }),
      title: t("events_behind", { what }),
      on: { click: (event) => { event.preventDefault(); openAudit(search, what, shown); } },
    }, t("events"));
  }

  // Plan progress --------------------------------------------------------------------------

  async function planSection() {
    const judged = judgedOn();
    const report = await api("/api/plan-progress", { county: county(), judged_on: judged });
    if (report.message) return el("p", { className: "empty" }, report.message);
    const tasks = report.tasks;
    const counts = {};
    for (const key of STATUS_IDS) counts[key] = 0;
    for (const k of tasks) counts[k.status] = (counts[k.status] || 0) + 1;
    const province = !county();
    const columns = [
      ...(province ? [{ title: field("county"), opt: true }] : []),
      { title: field("task") }, { title: field("target"), opt: true },
      { title: field("units"), opt: true }, { title: field("actual") }, { title: field("status") },
    ];
    const rows = tasks.map((k) => el("tr", {
      "data-testid": "plan-row", "data-task": k.task_id, "data-status": k.status,
      className: k.status === "behind" ? "alarm" : null,
    },
    ...(province ? [cell(countyName(k.county))] : []),
    cell([el("strong", { text: k.task_id }), " ", L("task", k.task_id) === k.task_id ? k.task_zh :
      L("task", k.task_id), k.rhythm ? el("span", { className: "sub", text: L("rhythm", k.rhythm) }) : null]),
    cell(targetText(k.target)),
    cell(el("span", { className: "units", text: k.units.map(unitName).join("、") })),
    cell([k.actual, k.events ? eventsLink(k.events.figure, { ...k.events, county: k.county },
      `${field("task")} ${k.task_id}`, k.actual) : null,
    k.detail ? el("span", { className: "sub", text: k.detail }) : null]),
    cell(badge(k.status, L("status", k.status)), { "data-testid": "plan-status" }),
    ));
    return [
      el("p", { className: "headline", "data-testid": "plan-headline" }, t("tasks_done", {
        done: counts.done, total: tasks.length, on_track: counts.on_track, behind: counts.behind,
        day: day(report.judged_on) })),
      statusChart(counts, tasks.length),
      table(`${t("plan_caption", { day: day(report.judged_on) })} · ${countyName(county())}`,
        columns, rows, { "data-testid": "plan-table" }),
    ];
  }

  /** "active_pairs: 7" as a person reads it: the metric's name and its figure. */
  function targetText(target) {
    const [metric, value] = String(target).split(": ");
    return value === undefined ? L("metric", metric) : `${L("metric", metric)}：${value}`;
  }

  /** "aid_center 资助中心" (the report's unit) as the unit's name in the page's language. */
  function unitName(unit) {
    return L("unit", String(unit).split(" ")[0]);
  }

  function statusChart(counts, total) {
    const width = 640;
    const chart = svg("svg", {
      className: "chart", viewBox: `0 0 ${width} 34`, role: "img",
      "data-testid": "plan-status-chart",
      "aria-label": Object.entries(counts).map(([k, n]) => `${n} ${L("status", k)}`).join(", "),
    });
    let x = 0;
    for (const [status, n] of Object.entries(counts)) {
      if (!n) continue;
      const w = (width * n) / total;
      chart.append(svg("rect", {
        className: `st-${status}`, x, y: 4, width: w, height: 26, "data-status": status,
      }, svg("title", { text: `${n} ${L("status", status)}` })));
      if (w > 28) {
        chart.append(svg("text", {
          x: x + w / 2, y: 22, "text-anchor": "middle", fill: "#fff", style: "fill:#fff",
          text: String(n),
        }));
      }
      x += w;
    }
    const legend = el("ul", { className: "legend" }, Object.entries(counts).map(([status, n]) =>
      el("li", {}, el("i", { className: `st-${status}` }), `${L("status", status)}: ${n}`)));
    return [chart, legend];
  }

  // Aid coverage ---------------------------------------------------------------------------

  async function aidSection() {
    const [rows, dispatches] = await Promise.all([
      api("/api/aid-coverage", { term: state.term, county: county() }),
      api("/api/university-dispatches", { county: county(), school_year: schoolYearOf(state.term) })
        .catch((exc) => exc),
    ]);
    const eligible = sum(rows, "eligible");
    const aided = sum(rows, "aided");
    const body = rows.map((r) => el("tr", {
      "data-testid": "aid-row", "data-stage": r.stage, className: r.missing ? "alarm" : null,
    },
    el("th", { scope: "row" }, el("button", {
      type: "button", className: "drill", "data-testid": "drill-schools", "data-stage": r.stage,
      title: t("drill_schools"), on: { click: () => drillDown(r.stage) },
    }, L("stage", r.stage))),
    num(r.registered, "registered"),
    num(r.eligible, "eligible"),
    el("td", { className: "num", "data-field": "aided", "data-value": r.aided },
      integer(r.aided), eventsLink("aid-coverage", { term: state.term, stage: r.stage },
        `${L("stage", r.stage)} · ${field("aided")} · ${termName(state.term)}`,
        `${integer(r.aided)}`)),
    num(r.missing, "missing"),
    num(r.amount_granted, "amount_granted", money(r.amount_granted)),
    num(r.amount_paid, "amount_paid", money(r.amount_paid)),
    ));
    const granted = sum(rows, "amount_granted");
    const paid = sum(rows, "amount_paid");
    const total = el("tr", { "data-testid": "aid-total" },
      el("td", { text: field("total") }),
      num(sum(rows, "registered"), "registered"), num(eligible, "eligible"),
      el("td", { className: "num", "data-field": "aided" }, integer(aided),
        eventsLink("aid-coverage", { term: state.term }, `${field("aided")} · ${termName(state.term)}`,
          `${integer(aided)}`)),
      num(sum(rows, "missing"), "missing"),
      num(granted.toFixed(2), "amount_granted", money(granted)),
      el("td", { className: "num", "data-field": "amount_paid" }, money(paid),
        eventsLink("aid-payments", { term: state.term }, `${field("amount_paid")} · ${termName(state.term)}`,
          `${money(paid)}`)),
    );
    const columns = [
      { title: field("stage") }, { title: field("registered"), num: true, opt: true },
      { title: field("eligible"), num: true, opt: true },
      { title: field("aided"), num: true }, { title: field("missing"), num: true, opt: true },
      { title: field("amount_granted"), num: true }, { title: field("amount_paid"), num: true },
    ];
    const grid = table(`${t("aid_title")} · ${countyName(county())} · ${termName(state.term)}`,
      columns, body, { "data-testid": "aid-table" });
    grid.querySelector("table").append(el("tfoot", {}, total));
    total.children[1].classList.add("opt");
    total.children[2].classList.add("opt");
    total.children[4].classList.add("opt");
    return [
      el("p", { className: "headline", "data-testid": "aid-headline" },
        t("aid_headline", { aided: integer(aided), eligible: integer(eligible),
          term: `${termName(state.term)} (${state.term})`, missing: integer(sum(rows, "missing")) }),
        ` (${percent(aided, eligible)}); ${field("amount_granted")} ${money(granted)}, `,
        `${field("amount_paid")} ${money(paid)}`),
      el("div", { className: "split" },
        el("div", {}, coverageChart(rows), el("ul", { className: "legend" },
          el("li", {}, el("i", { style: "background: var(--pass)" }), t("legend_all_aided")),
          el("li", {}, el("i", { style: "background: var(--fail)" }), t("legend_some_missing")))),
        grid),
      universities(dispatches),
    ];
  }

  function coverageChart(rows) {
    const width = 480;
    const height = 200;
    const top = 18;
    const bottom = 40;
    const left = 40;
    const plot = height - top - bottom;
    const step = (width - left) / rows.length;
    const bar = Math.min(48, step * 0.6);
    const chart = svg("svg", {
      className: "chart", viewBox: `0 0 ${width} ${height}`, role: "img",
      "data-testid": "aid-chart",
      "aria-label": `${field("coverage")}: ` + rows.map((r) =>
        `${L("stage", r.stage)} ${percent(r.aided, r.eligible)}`).join(", "),
    });
    for (const p of [0, 50, 100]) {
      const y = top + plot - (plot * p) / 100;
      chart.append(svg("line", { className: "grid", x1: left, x2: width, y1: y, y2: y }),
        svg("text", { x: left - 4, y: y + 4, "text-anchor": "end", className: "muted",
          text: `${p}%` }));
    }
    rows.forEach((r, i) => {
      const share = r.eligible ? Math.min(1, r.aided / r.eligible) : 0;
      const x = left + i * step + (step - bar) / 2;
      const h = plot * share;
      const cls = !r.eligible ? "neutral" : r.missing ? "fail" : "pass";
      const name = L("stage", r.stage);
      chart.append(
        svg("rect", { className: "bg", x, y: top, width: bar, height: plot }),
        svg("rect", {
          className: `bar ${cls}`, x, y: top + plot - h, width: bar, height: h,
          "data-testid": "aid-bar", "data-stage": r.stage, "data-aided": r.aided,
          "data-eligible": r.eligible,
        }, svg("title", { text: `${L("stage", r.stage)}: ${integer(r.aided)} of ` +
          `${integer(r.eligible)} aided, ${integer(r.missing)} missing` })),
        svg("text", { x: x + bar / 2, y: top + plot - h - 5, "text-anchor": "middle",
          text: r.eligible ? percent(r.aided, r.eligible) : "–" }),
        svg("text", { x: x + bar / 2, y: height - bottom + 16, "text-anchor": "middle",
          className: "small", text: name }),
      );
    });
    return chart;
  }

  function universities(dispatches) {
    const year = schoolYearOf(state.term);
    if (dispatches instanceof Error) return errorBox(dispatches);
    const students = sum(dispatches, "students");
    const reported = dispatches.filter((d) => d.reports > 0).length;
    const late = dispatches.filter((d) => d.status === "missing" || d.status === "late").length;
    return el("p", { className: "note", "data-testid": "university-dispatches" },
      t("universities_note", { years: `${year}-${year + 1}`, universities: dispatches.length,
        students: integer(students), reported, late }),
      eventsLink("university-dispatches", { school_year: year },
        `${t("universities")} ${year}`, `${dispatches.length}`));
  }

  async function missingSection() {
    const [rows, coverage] = await Promise.all([
      api("/api/students-missing-aid", { term: state.term, county: county(), limit: MISSING_SHOWN }),
      api("/api/aid-coverage", { term: state.term, county: county() }),
    ]);
    const total = sum(coverage, "missing");
    const headline = el("p", { className: "headline", "data-testid": "missing-headline" },
      el("strong", { "data-testid": "missing-count", text: integer(total) }),
      ` ${t("missing_students", { term: termName(state.term) })}`,
      eventsLink("aid-missing", { term: state.term },
        `${t("missing_title")} · ${termName(state.term)}`,
        `${integer(total)} students missing aid`));
    if (!rows.length) {
      return [headline, el("p", { className: "empty", text: t("nobody_missing") })];
    }
    const body = rows.map((r) => el("tr", { "data-testid": "missing-row", "data-student": r.student_id },
      cell([r.name || "–", el("span", { className: "sub", text: r.registry_id || "" })]),
      cell(r.school),
      cell(`${L("stage", r.stage)} ${r.grade}`),
      cell(el("span", { className: "sub", text: r.reason })),
    ));
    return [
      headline,
      table(`${t("missing_title")} · ${termName(state.term)}` +
        (total > rows.length ? ` (${rows.length} / ${integer(total)})` : ""),
      [{ title: field("name") }, { title: field("school"), opt: true },
        { title: `${field("stage")}、${field("grade")}` }, { title: field("reason"), opt: true }],
      body, { "data-testid": "missing-table" }),
    ];
  }

  // Drill-down: a county's aid by school ------------------------------------------------

  function drillDown(stage) {
    state.schoolStage = state.schoolStage === stage ? "" : stage;
    load("schools", schoolsSection, generation);
    document.getElementById("schools").scrollIntoView({ block: "nearest" });
  }

  async function schoolsSection() {
    const rows = await api("/api/aid-coverage/schools",
      { term: state.term, county: county(), stage: state.schoolStage || null });
    const body = rows.map((r) => el("tr", {
      "data-testid": "school-row", "data-school": r.school, "data-stage": r.stage,
      className: r.missing ? "alarm" : null,
    },
    ...(county() ? [] : [cell(countyName(r.county))]),
    el("th", { scope: "row", text: L("school", r.school) }),
    cell(L("stage", r.stage)),
    num(r.eligible, "eligible"), num(r.aided, "aided"), num(r.missing, "missing"),
    num(r.amount_granted, "amount_granted", money(r.amount_granted)),
    num(r.amount_paid, "amount_paid", money(r.amount_paid))));
    const which = state.schoolStage ? L("stage", state.schoolStage) : t("all_stages");
    return [
      el("p", { className: "note", "data-testid": "schools-note" },
        t("schools_note", { stage: which, schools: integer(new Set(rows.map((r) => r.school)).size) })),
      rows.length ? table(`${t("schools_title")} · ${which} · ${termName(state.term)}`, [
        ...(county() ? [] : [{ title: field("county"), opt: true }]),
        { title: field("school") }, { title: field("stage"), opt: true },
        { title: field("eligible"), num: true, opt: true }, { title: field("aided"), num: true },
        { title: field("missing"), num: true }, { title: field("amount_granted"), num: true, opt: true },
        { title: field("amount_paid"), num: true }], body, { "data-testid": "schools-table" }) :
        el("p", { className: "empty", text: t("no_rows") }),
    ];
  }

  // Province comparison: counties × tasks -------------------------------------------------

  const compareSort = { key: "county", down: false };

  async function compareSection() {
    const report = await api(PROVINCE_PLANS, { judged_on: judgedOn() });
    const tasks = [...new Set((report.tasks || []).map((k) => k.task_id))];
    const byCounty = {};
    for (const k of report.tasks || []) {
      byCounty[k.county] = byCounty[k.county] || { county: k.county, tasks: {}, done: 0, behind: 0 };
      byCounty[k.county].tasks[k.task_id] = k;
      if (k.status === "done") byCounty[k.county].done += 1;
      if (k.status === "behind") byCounty[k.county].behind += 1;
    }
    const rank = { done: 0, on_track: 1, not_started: 2, no_target: 3, behind: 4 };
    const key = (row) => {
      if (compareSort.key === "county") return countyName(row.county);
      if (compareSort.key === "done" || compareSort.key === "behind") return row[compareSort.key];
      const task = row.tasks[compareSort.key];
      return task ? rank[task.status] ?? 5 : 9;
    };
    const rows = Object.values(byCounty).sort((a, b) => {
      const x = key(a);
      const y = key(b);
      const order = typeof x === "number" ? x - y : String(x).localeCompare(String(y), "zh-CN");
      return compareSort.down ? -order : order;
    });
    if (!rows.length) return el("p", { className: "empty", text: t("no_rows") });
    const body = rows.map((row) => el("tr", { "data-testid": "compare-row", "data-county": row.county },
      el("th", { scope: "row" }, el("a", { href: `?county=${row.county}&term=${state.term}`,
        "data-testid": "compare-county" }, countyName(row.county))),
      num(row.done, "done"), num(row.behind, "behind"),
      ...tasks.map((id) => {
        const task = row.tasks[id];
        return el("td", { "data-task": id, "data-status": task ? task.status : "", title: task ? task.actual : "" },
          task ? badge(task.status, L("status", task.status)) : "–");
      })));
    const columns = [
      { title: field("county"), sort: "county" },
      { title: L("status", "done"), num: true, sort: "done" },
      { title: L("status", "behind"), num: true, sort: "behind" },
      ...tasks.map((id) => ({ title: id, sort: id, opt: true })),
    ];
    const grid = table(`${t("compare_title")} · ${day(report.judged_on)}`, columns, body,
      { "data-testid": "compare-table" });
    for (const th of grid.querySelectorAll("th[data-sort]")) {
      const sortKey = th.dataset.sort;
      th.classList.add("sortable");
      th.setAttribute("aria-sort", compareSort.key === sortKey ?
        (compareSort.down ? "descending" : "ascending") : "none");
      th.title = `${t("sort_hint")}${L("task", sortKey) !== sortKey ? ` · ${L("task", sortKey)}` : ""}`;
      th.addEventListener("click", () => {
        compareSort.down = compareSort.key === sortKey ? !compareSort.down : sortKey !== "county";
        compareSort.key = sortKey;
        load("compare", compareSection, generation);
      });
    }
    return [el("p", { className: "note" }, t("sort_hint")), grid];
  }

  // Trends across terms and years ---------------------------------------------------------

  async function trendsSection() {
    const terms = termsBetween(FIRST_TERM, state.term).slice(0, TREND_TERMS).reverse();
    const rows = await Promise.all(terms.map(async (term) => {
      const [aid, teachers, pairs] = await Promise.all([
        api("/api/aid-coverage", { term, county: county() }),
        api("/api/staffing/coverage", { term, county: county() }).catch(() => []),
        api("/api/pairing/county", { county: county(), on: termEnd(term) }).catch(() => null),
      ]);
      return { term, eligible: sum(aid, "eligible"), aided: sum(aid, "aided"),
        granted: sum(aid, "amount_granted"), teachers: sum(teachers, "teachers"),
        pairs: pairs ? pairs.active_pairs : null };
    }));
    const years = [...new Set(terms.map(schoolYearOf))];
    const balance = await Promise.all(years.map((year) =>
      api("/api/evaluation/balance", { year, county: county() }).catch(() => [])));
    const coefficient = {};
    years.forEach((year, i) => {
      for (const s of balance[i]) coefficient[`${year}-${s.stage}`] = s.composite;
    });
    const body = rows.map((r) => el("tr", { "data-testid": "trend-row", "data-term": r.term },
      el("th", { scope: "row", text: termName(r.term) }),
      num(r.eligible, "eligible"), num(r.aided, "aided"),
      el("td", { className: "num", "data-field": "coverage" }, percent(r.aided, r.eligible)),
      num(r.granted.toFixed(2), "amount_granted", money(r.granted)),
      num(r.teachers, "master_teachers"),
      num(r.pairs, "active_pairs", r.pairs === null ? "–" : integer(r.pairs)),
      num(coefficient[`${schoolYearOf(r.term)}-primary`] ?? "", "coefficient",
        decimal(coefficient[`${schoolYearOf(r.term)}-primary`])),
      num(coefficient[`${schoolYearOf(r.term)}-junior`] ?? "", "coefficient",
        decimal(coefficient[`${schoolYearOf(r.term)}-junior`]))));
    return [
      trendChart(rows),
      table(`${t("trends_title")} · ${countyName(county())}`, [
        { title: field("term") }, { title: field("eligible"), num: true, opt: true },
        { title: field("aided"), num: true, opt: true }, { title: field("coverage"), num: true },
        { title: field("amount_granted"), num: true }, { title: field("master_teachers"), num: true, opt: true },
        { title: field("active_pairs"), num: true, opt: true },
        { title: `${field("coefficient")}（${L("stage", "primary")}）`, num: true, opt: true },
        { title: `${field("coefficient")}（${L("stage", "junior")}）`, num: true, opt: true },
      ], body, { "data-testid": "trends-table" }),
    ];
  }

  /** The last day of a term's first calendar year (31 December or 31 July). */
  function termEnd(term) {
    const [year, season] = term.split("-");
    return season === "autumn" ? `${year}-12-31` : `${year}-07-31`;
  }

  function trendChart(rows) {
    const width = 640;
    const height = 150;
    const left = 40;
    const top = 12;
    const plot = height - top - 30;
    const step = (width - left) / Math.max(rows.length, 1);
    const chart = svg("svg", { className: "chart", viewBox: `0 0 ${width} ${height}`, role: "img",
      "data-testid": "trend-chart", "aria-label": `${field("coverage")}: ` + rows.map((r) =>
        `${termName(r.term)} ${percent(r.aided, r.eligible)}`).join(", ") });
    for (const p of [0, 50, 100]) {
      const y = top + plot - (plot * p) / 100;
      chart.append(svg("line", { className: "grid", x1: left, x2: width, y1: y, y2: y }),
        svg("text", { x: left - 4, y: y + 4, "text-anchor": "end", className: "muted", text: `${p}%` }));
    }
    const points = rows.map((r, i) => {
      const share = r.eligible ? r.aided / r.eligible : 0;
      return [left + step * i + step / 2, top + plot - plot * Math.min(1, share)];
    });
    chart.append(svg("polyline", { points: points.map((p) => p.join(",")).join(" "),
      fill: "none", stroke: "currentColor", "stroke-width": 2, className: "line" }));
    rows.forEach((r, i) => {
      chart.append(svg("circle", { cx: points[i][0], cy: points[i][1], r: 4, className: "dot pass" }),
        svg("text", { x: points[i][0], y: height - 10, "text-anchor": "middle", className: "small",
          text: termName(r.term) }));
    });
    return chart;
  }

  // Master teachers ------------------------------------------------------------------------

  async function teachersSection() {
    const posts = await api("/api/staffing/coverage", { term: state.term, county: county() });
    if (!posts.length) {
      return el("p", { className: "empty",
        text: t("no_teachers") });
    }
    const targeted = posts.filter((p) => p.min !== null);
    const covered = targeted.filter((p) => p.teachers >= p.min).length;
    const body = posts.map((p) => el("tr", {
      "data-testid": "teacher-row", "data-subject": p.subject, "data-status": p.status,
      className: p.status === "missing" ? "alarm" : null,
    },
    el("th", { scope: "row", text: L("subject", p.subject) }),
    cell(p.host_school ? L("school", p.host_school) === p.host_school.replaceAll("_", " ") ?
      p.host_school_name || p.host_school : L("school", p.host_school) : t("all_host_schools")),
    el("td", { className: "num", "data-field": "teachers", "data-value": p.teachers },
      integer(p.teachers), eventsLink("master-teachers",
        p.host_school ? { subject: p.subject, host_school: p.host_school } : { subject: p.subject },
        `${L("subject", p.subject)} · ${field("master_teachers")}`, `${p.teachers}`)),
    num(p.arrived, "arrived"),
    cell(p.min === null ? "–" : `${p.min}–${p.max}`, { className: "num" }),
    cell(badge(p.status, L("status", p.status))),
    ));
    return [
      el("p", { className: "headline", "data-testid": "teachers-headline" },
        t("teachers_headline", { covered, total: targeted.length, term: termName(state.term) })),
      teacherChart(posts),
      table(`${t("teachers_title")} · ${termName(state.term)}`,
        [{ title: field("subject") }, { title: field("school"), opt: true },
          { title: field("teachers"), num: true }, { title: field("arrived"), num: true, opt: true },
          { title: field("target"), num: true, opt: true }, { title: field("status") }],
        body, { "data-testid": "teachers-table" }),
    ];
  }

  function teacherChart(posts) {
    const width = 640;
    const rowHeight = 22;
    const left = 170;
    const top = 22;
    const most = Math.max(3, ...posts.map((p) => Math.max(p.teachers, p.max || 0)));
    const height = top + rowHeight * posts.length + 8;
    const x = (n) => left + ((width - left - 20) * n) / most;
    const chart = svg("svg", {
      className: "chart", viewBox: `0 0 ${width} ${height}`, role: "img",
      "data-testid": "teachers-chart",
      "aria-label": `${t("teachers_title")}: ` + posts.map((p) =>
        `${L("subject", p.subject)} ${p.teachers}`).join(", "),
    });
    for (let n = 0; n <= most; n += 1) {
      chart.append(svg("line", { className: "grid", x1: x(n), x2: x(n), y1: top - 6, y2: height - 6 }),
        svg("text", { x: x(n), y: 12, "text-anchor": "middle", className: "muted", text: String(n) }));
    }
    posts.forEach((p, i) => {
      const y = top + i * rowHeight + rowHeight / 2;
      chart.append(svg("text", { x: left - 8, y: y + 4, "text-anchor": "end",
        text: L("subject", p.subject) }));
      if (p.min !== null) {
        chart.append(svg("rect", { className: "band", x: x(p.min), y: y - 8,
          width: Math.max(2, x(p.max) - x(p.min)), height: 16 },
        svg("title", { text: `${field("target")} ${p.min}–${p.max}` })));
      }
      const cls = p.status === "missing" ? "fail" : p.status === "no_target" ? "neutral" : "pass";
      chart.append(svg("circle", {
        className: `dot ${cls}`, cx: x(p.teachers), cy: y, r: 6,
        "data-testid": "teacher-dot", "data-subject": p.subject, "data-teachers": p.teachers,
      }, svg("title", { text: `${L("subject", p.subject)}: ${p.teachers} teacher(s)` })));
    });
    return [chart, el("ul", { className: "legend" },
      el("li", {}, el("i", { style: "background: var(--band)" }), t("target_range")),
      el("li", {}, el("i", { style: "background: var(--pass)" }), L("status", "on_target")),
      el("li", {}, el("i", { style: "background: var(--fail)" }), L("status", "missing")))];
  }

  // Pairs ----------------------------------------------------------------------------------

  async function pairsSection() {
    const judged = judgedOn();
    const [summary, pairs] = await Promise.all([
      api("/api/pairing/county", { county: county(), on: judged }),
      api("/api/pairing/pairs", { county: county(), on: judged }),
    ]);
    if (!pairs.length) return el("p", { className: "empty", text: t("no_pairs") });
    const target = summary.target_active_pairs;
    const side = (p, direction) => {
      const n = p.secondments[direction].on_day;
      const below = p.secondments.sides_below_minimum.includes(direction);
      return el("td", { className: "num", "data-field": direction, "data-value": n },
        below ? el("span", { className: "badge s-behind", title: "below the minimum" }, n) :
          integer(n));
    };
    const body = pairs.map((p) => {
      const sec = p.secondments;
      const range = sec.target ? `${sec.target.min}–${sec.target.max}` : "–";
      return el("tr", {
        "data-testid": "pair-row", "data-pair": p.pair_id, "data-status": p.status,
      },
      el("th", { scope: "row" }, schoolName(p.helped_school),
        eventsLink("pairs", { pair_id: p.pair_id }, `${field("pair_id")} ${schoolName(p.helped_school)}`,
          day(summary.on)),
        el("span", { className: "sub", text: L("stage", p.stage) })),
      cell([schoolName(p.helper_school),
        el("span", { className: "sub", text: L("unit", p.responsible_division) })]),
      cell(badge(p.status, L("status", p.status))),
      side(p, "helper_to_helped"),
      side(p, "helped_to_helper"),
      cell(range, { className: "num" }),
      num(p.shadowing.periods, "shadowing", `${p.shadowing.periods} (${p.shadowing.months} ${t("months")})`),
      num(p.lessons.model_lessons, "model_lessons"),
      num(p.lessons.exchange_visits, "exchange_visits"),
      num(p.teacher_pairings.plans, "teacher_pairings"),
      num(p.resources.courseware + p.resources.teaching_results, "resources"),
      );
    });
    return [
      el("p", { className: "headline", "data-testid": "pairs-headline" },
        el("strong", { "data-testid": "pairs-active", text: String(summary.active_pairs) }),
        " ", t("pairs_headline", { target: target === null ? "–" : target, on: day(summary.on),
          managers: integer(summary.managers_seconded_on_day),
          shadowing: integer(summary.shadowing_periods), lessons: integer(summary.model_lessons),
          resources: integer(summary.resources_shared) })),
      table(`${t("pairs_title")} · ${day(summary.on)}`,
        [{ title: field("helped_school") }, { title: field("helper_school"), opt: true },
          { title: field("status") },
          { title: t("managers_to_helped"), num: true }, { title: t("managers_to_helper"), num: true },
          { title: field("target"), num: true, opt: true },
          { title: t("shadowing"), num: true, opt: true }, { title: t("model_lessons"), num: true, opt: true },
          { title: t("exchange_visits"), num: true, opt: true },
          { title: t("teacher_pairings"), num: true, opt: true },
          { title: t("resources"), num: true, opt: true }],
        body, { "data-testid": "pairs-table" }),
    ];
  }

  /** A school's name: the catalogue's, else the name the report gives. */
  function schoolName(school) {
    const known = L("school", school.id || school.school_id);
    return known !== String(school.id || school.school_id).replaceAll("_", " ") ? known : school.name;
  }

  // Balanced development -------------------------------------------------------------------

  async function balanceSection() {
    const assessed = await api("/api/evaluation/balance", { year: state.year, county: county() });
    if (!assessed.length) {
      return el("p", { className: "empty", "data-testid": "balance-empty",
        text: t("no_balance", { year: state.year }) });
    }
    return el("div", { className: "stages" }, assessed.map(stageCard));
  }

  function stageCard(s) {
    const verdict = (met) => (met === null ? badge("none", t("not_assessed")) :
      met ? badge("pass", L("status", "pass")) : badge("fail", L("status", "fail")));
    const rows = s.indicators.map((i) => {
      const outcome = i.passed === null ? "none" : i.passed ? "pass" : "fail";
      return el("tr", {
        "data-testid": "coef-row", "data-stage": s.stage, "data-indicator": i.indicator,
        "data-pass": outcome, className: outcome === "fail" ? "alarm" : null,
      },
      el("th", { scope: "row", text: L("indicator", i.indicator) }),
      num(i.county_value, "county_value", Number(i.county_value).toLocaleString("en-US",
        { maximumFractionDigits: Math.abs(Number(i.county_value)) < 1 ? 3 : 2 })),
      num(i.coefficient, "coefficient", decimal(i.coefficient)),
      num(i.quality_max, "threshold", i.quality_max === null ? "–" : `≤ ${i.quality_max}`),
      cell(outcome === "none" ? el("span", { className: "sub", text: L("status", "none") }) :
        badge(outcome, L("status", outcome)), { "data-field": "passed" }),
      );
    });
    const composite = el("tr", {
      "data-testid": "coef-row", "data-stage": s.stage, "data-indicator": "composite",
      "data-pass": s.basic_balance_met ? "pass" : "fail",
    },
    el("th", { scope: "row", text: L("indicator", "composite") }),
    cell("", { className: "num" }),
    num(s.composite, "coefficient", decimal(s.composite)),
    num(s.composite_max, "threshold", `≤ ${s.composite_max}`),
    cell(badge(s.basic_balance_met ? "pass" : "fail", L("status", s.basic_balance_met ? "pass" : "fail")),
      { "data-field": "passed" }));
    return el("article", { "data-testid": "balance-stage", "data-stage": s.stage,
      "aria-label": `${L("stage", s.stage)} ${s.year}` },
    el("h3", {}, `${L("stage", s.stage)} · ${s.year} · ${t("schools_count", { schools: s.schools })} `,
      eventsLink("balance",
        { year: s.year, stage: s.stage, ...(s.county ? { county: s.county } : {}) },
        `${L("stage", s.stage)} ${s.year}`,
        `${L("indicator", "composite")} ${decimal(s.composite)}`)),
    el("p", { className: "verdict" }, `${t("basic_balance")}: `, verdict(s.basic_balance_met),
      ` ${L("indicator", "composite")} ${decimal(s.composite)} ≤ ${s.composite_max}; `,
      `${t("quality_balance")}: `, verdict(s.quality_balance_met),
      s.schools_meeting_standards === null ? "" :
        ` (${t("schools_meeting", { meeting: s.schools_meeting_standards, schools: s.schools })})`),
    coefficientChart(s),
    el("ul", { className: "legend" },
      el("li", {}, el("i", { style: "background: var(--pass)" }), L("status", "pass")),
      el("li", {}, el("i", { style: "background: var(--fail)" }), L("status", "fail")),
      el("li", {}, el("i", { style: "background: var(--no-target)" }), L("status", "none")),
      el("li", {}, el("i", { style: "border-left: 2px dashed var(--fail); border-radius: 0" }),
        field("threshold"))),
    table(`${field("coefficient")} · ${L("stage", s.stage)} · ${s.year} (${s.thresholds_id})`,
      [{ title: field("indicator") }, { title: field("county_value"), num: true, opt: true },
        { title: field("coefficient"), num: true }, { title: field("threshold"), num: true, opt: true },
        { title: field("passed") }],
      [composite, ...rows], { "data-testid": "balance-table" }),
    );
  }

  function coefficientChart(s) {
    const items = [
      { name: L("indicator", "composite"), value: Number(s.composite), max: Number(s.composite_max),
        outcome: s.basic_balance_met ? "pass" : "fail", indicator: "composite" },
      ...s.indicators.map((i) => ({
        name: L("indicator", i.indicator), value: Number(i.coefficient),
        max: i.quality_max === null ? null : Number(i.quality_max),
        outcome: i.passed === null ? "neutral" : i.passed ? "pass" : "fail",
        indicator: i.indicator,
      })),
    ];
    const width = 640;
    const left = 285;
    const rowHeight = 18;
    const top = 20;
    const height = top + rowHeight * items.length + 6;
    const scale = Math.max(...items.map((i) => Math.max(i.value, i.max || 0))) * 1.1 || 1;
    const x = (v) => left + ((width - left - 50) * v) / scale;
    const chart = svg("svg", {
      className: "chart", viewBox: `0 0 ${width} ${height}`, role: "img",
      "data-testid": "coefficient-chart", "data-stage": s.stage,
      "aria-label": `${field("coefficient")} · ${L("stage", s.stage)}: ` + items.map((i) => `${i.name} ${i.value.toFixed(3)}` +
        (i.max === null ? "" : ` (max ${i.max})`)).join(", "),
    });
    chart.append(svg("text", { x: left, y: 12, className: "muted",
      text: t("coefficient_chart_note") }));
    items.forEach((item, n) => {
      const y = top + n * rowHeight;
      chart.append(
        svg("text", { x: left - 6, y: y + 12, "text-anchor": "end", text: item.name }),
        svg("rect", {
          className: `bar ${item.outcome}`, x: left, y: y + 3, width: Math.max(1, x(item.value) - left),
          height: rowHeight - 6, "data-testid": "coefficient-bar", "data-indicator": item.indicator,
          "data-outcome": item.outcome,
        }, svg("title", { text: `${item.name}: ${item.value.toFixed(3)}` +
          (item.max === null ? " (no per-indicator maximum)" : ` against ≤ ${item.max}`) })),
        svg("text", { x: x(item.value) + 4, y: y + 12, className: "muted",
          text: item.value.toFixed(3) }),
      );
      if (item.max !== null) {
        chart.append(svg("line", { className: "threshold", x1: x(item.max), x2: x(item.max),
          y1: y + 1, y2: y + rowHeight - 1, "data-testid": "threshold-line" }));
      }
    });
    return chart;
  }

  // Alerts ---------------------------------------------------------------------------------

  async function alertsSection() {
    const [alerts, dropouts] = await Promise.all([
      api("/api/alerts", { county: county(), status: "open" }),
      api("/api/dropout-alerts", { county: county(), status: "open" }).catch((exc) => exc),
    ]);
    const kinds = {};
    for (const a of alerts) kinds[a.kind] = (kinds[a.kind] || 0) + 1;
    const parts = [
      el("p", { className: "headline" },
        el("strong", { "data-testid": "alerts-count", text: integer(alerts.length) }),
        ` ${t("alerts_open")}`,
        Object.keys(kinds).length ? "：" + Object.entries(kinds).map(([k, n]) =>
          `${L("alert_kind", k)} ${integer(n)}`).join("，") : "",
        eventsLink("alerts", {}, t("alerts_title"), integer(alerts.length))),
    ];
    parts.push(dropouts instanceof Error ? errorBox(dropouts) :
      el("p", { className: "note", "data-testid": "dropout-alerts" },
        t("dropout_note", { count: integer(dropouts.length) }),
        eventsLink("dropout-alerts", {}, L("alert_kind", "dropout_open"), integer(dropouts.length))));
    if (Object.keys(kinds).length) parts.push(kindChart(kinds));
    if (!alerts.length) {
      parts.push(el("p", { className: "empty", text: t("no_alert") }));
      return parts;
    }
    const list = el("div", { "data-testid": "alerts-list" });
    parts.push(alertFilter(kinds, list), list);
    showAlerts(alerts, list);
    return parts;
  }

  function alertFilter(kinds, list) {
    const select = el("select", { "data-testid": "alerts-kind", "aria-label": field("kind") },
      el("option", { value: "" }, t("all_kinds")),
      Object.keys(kinds).map((k) => el("option", { value: k }, `${L("alert_kind", k)} (${kinds[k]})`)));
    select.value = alertView.kind;
    select.addEventListener("change", () => {
      alertView = { page: 0, kind: select.value };
      showAlerts(list.alerts, list);
    });
    return el("label", { className: "filter" }, `${field("kind")} `, select);
  }

  /** Every open alert, a page at a time, of the kind chosen. */
  function showAlerts(alerts, list) {
    list.alerts = alerts;
    const chosen = alerts.filter((a) => !alertView.kind || a.kind === alertView.kind);
    const pages = Math.max(1, Math.ceil(chosen.length / ALERTS_PAGE));
    alertView.page = Math.min(alertView.page, pages - 1);
    const shown = chosen.slice(alertView.page * ALERTS_PAGE, (alertView.page + 1) * ALERTS_PAGE);
    const rows = shown.map((a) => el("tr", { "data-testid": "alert-row", "data-kind": a.kind },
      cell([L("alert_kind", a.kind), el("span", { className: "sub", text: `${field("task")} ${a.task_id}` })]),
      cell([alertSubject(a), eventsLink("alerts", { alert_key: a.alert_key }, alertSubject(a),
        L("status", "open")), el("span", { className: "sub", text: a.detail })]),
      cell(day(a.raised_on), { className: "num" })));
    const move = (to) => () => {
      alertView.page = to;
      showAlerts(alerts, list);
    };
    const pager = el("p", { className: "pager", "data-testid": "alerts-pager" },
      el("button", { type: "button", "data-testid": "alerts-previous", disabled: alertView.page === 0,
        on: { click: move(alertView.page - 1) } }, t("previous")),
      el("span", { "data-testid": "alerts-page" },
        ` ${t("page_of", { page: alertView.page + 1, pages })} `),
      el("button", { type: "button", "data-testid": "alerts-next", disabled: alertView.page >= pages - 1,
        on: { click: move(alertView.page + 1) } }, t("next")));
    const grid = table(`${t("alerts_title")} (${integer(chosen.length)})`,
      [{ title: field("kind") }, { title: field("about") }, { title: field("raised_on"), num: true, opt: true }],
      rows, { "data-testid": "alerts-table" });
    list.replaceChildren(grid, pager);
  }

  /** What an alert is about: a school, a subject or a pair by its name where known. */
  function alertSubject(a) {
    for (const context of ["school", "subject", "county"]) {
      const name = L(context, a.subject);
      if (name !== String(a.subject).replaceAll("_", " ")) return name;
    }
    return a.subject;
  }

  function kindChart(kinds) {
    const entries = Object.entries(kinds).sort((a, b) => b[1] - a[1]);
    const width = 640;
    const wide = (text) => [...text].reduce((w, ch) => w + (ch.charCodeAt(0) > 0x2e7f ? 12.5 : 7.5), 0);
    const longest = Math.max(...entries.map(([k]) => wide(L("alert_kind", k))));
    const left = Math.max(150, 14 + longest); // room for the longest label
    const rowHeight = 22;
    const most = Math.max(...entries.map((e) => e[1]));
    const chart = svg("svg", {
      className: "chart", viewBox: `0 0 ${width} ${rowHeight * entries.length + 4}`, role: "img",
      "data-testid": "alerts-chart",
      "aria-label": `${t("alerts_title")}: ` + entries.map(([k, n]) =>
        `${L("alert_kind", k)} ${n}`).join(", "),
    });
    entries.forEach(([kind, n], i) => {
      const y = i * rowHeight;
      const w = Math.max(2, ((width - left - 60) * n) / most);
      chart.append(
        svg("text", { x: left - 6, y: y + 15, "text-anchor": "end", text: L("alert_kind", kind) }),
        svg("rect", { className: "bar fail", x: left, y: y + 3, width: w, height: rowHeight - 6 }),
        svg("text", { x: left + w + 4, y: y + 15, text: integer(n) }),
      );
    });
    return chart;
  }

  // Dead letters ---------------------------------------------------------------------------

  async function deadLetters(current) {
    const banner = document.getElementById("dead-letters");
    try {
      const report = await api("/api/dead-letters");
      if (current !== generation) return;
      banner.dataset.count = String(report.count);
      if (!report.count) {
        banner.hidden = true;
        return;
      }
      const perProjection = {};
      for (const d of report.dead_letters) {
        perProjection[d.projection] = (perProjection[d.projection] || 0) + 1;
      }
      banner.replaceChildren(
        el("span", { "data-testid": "dead-letters-count", text: integer(report.count) }),
        " ", t("dead_letters_banner", { count: "" }).trim(), " (",
        Object.entries(perProjection).map(([p, n]) => `${p} ${integer(n)}`).join(", "), ") ",
        el("a", { href: "/operations", "data-testid": "dead-letters-operations" }, t("operators")));
      banner.hidden = false;
    } catch (exc) {
      if (current !== generation) return;
      banner.replaceChildren(t("section_error", { message: exc.message }));
      banner.dataset.count = "";
      banner.hidden = false;
    }
  }

  // The audit panel ------------------------------------------------------------------------

  async function openAudit(search, what, shown) {
    const dialog = document.getElementById("audit");
    const body = dialog.querySelector(".audit-body");
    document.getElementById("audit-title").textContent = t("events_behind", { what });
    body.dataset.state = "loading";
    body.replaceChildren(el("p", { className: "loading", text: t("loading") }));
    if (!dialog.open) dialog.showModal();
    try {
      const found = await api("/api/audit/behind", { ...search, limit: AUDIT_SHOWN });
      const q = new URLSearchParams(found.search);
      q.delete("limit");
      if (state.asOf) q.set("until", state.asOf);
      const rows = found.events.map((e) => el("tr", { "data-testid": "audit-event" },
        cell([new Date(e.recorded_at).toLocaleString("zh-CN", { hour12: false }),
          el("span", { className: "sub", text: `${e.service} #${e.position}` })]),
        cell(e.event_type),
        cell([e.actor, el("span", { className: "sub", text: e.department })]),
        cell(e.county),
        cell(el("span", { className: "payload", text: facts(e.payload) })),
      ));
      body.replaceChildren(
        el("p", { className: "headline" },
          el("strong", { "data-testid": "audit-count", text: integer(found.count) }),
          ` ${t(found.count_capped ? "audit_events_more" : "audit_events")}: `, found.about),
        shown ? el("p", { className: "note", "data-testid": "audit-figure" },
          t("audit_shown", { shown })) : null,
        el("p", { className: "note" }, t("audit_first", { figure: found.figure,
          report: found.report, first: found.events.length }), " ",
        el("a", { href: `/api/audit/export.csv?${q}`, "data-testid": "audit-export" },
          t("download_csv"))),
        found.events.length ? table(t("events_behind", { what }),
          [{ title: field("recorded") }, { title: field("event_type") }, { title: field("who"), opt: true },
            { title: field("county"), opt: true }, { title: field("what"), opt: true }], rows,
          { "data-testid": "audit-table" }) :
          el("p", { className: "empty", text: t("no_rows") }),
      );
      body.dataset.state = "ready";
    } catch (exc) {
      body.replaceChildren(errorBox(exc));
      body.dataset.state = "error";
    }
  }

  function facts(payload) {
    return Object.entries(payload || {})
      .filter(([k]) => !k.endsWith("_id") || k === "alert_id")
      .slice(0, 8)
      .map(([k, v]) => `${k}=${typeof v === "object" ? JSON.stringify(v) : v}`)
      .join(" · ");
  }

  // The controls and the whole page --------------------------------------------------------

  function fillTerms(selected) {
    const select = document.getElementById("term");
    const latest = termOn(isoDay(new Date()));
    const terms = termsBetween(FIRST_TERM, latest);
    if (selected && !terms.includes(selected)) terms.unshift(selected);
    select.replaceChildren(...terms.map((id) => el("option", { value: id, text: termName(id) })));
    select.value = selected;
  }

  /** The county picker: names, not codes; the province first for those who may read it. */
  function fillCounties() {
    const select = document.getElementById("county");
    const options = countyList.map((c) => el("option", { value: c.code },
      window.Eduplan.lang === "zh" ? c.name_zh : `${c.name_en} ${c.name_zh}`));
    if (!countyLimited()) options.unshift(el("option", { value: "" }, t("province")));
    if (state.county && !countyList.some((c) => c.code === state.county)) {
      options.push(el("option", { value: state.county }, state.county));
    }
    select.replaceChildren(...options);
    select.value = state.county;
  }

  function showControls() {
    fillCounties();
    fillTerms(state.term);
    document.getElementById("year").value = state.year;
    document.getElementById("as-of").value = state.asOf;
    document.getElementById("lang").value = window.Eduplan.lang;
  }

  /** The latest term whose grants are in the read model (as of the chosen day), else 2017. */
  function describe() {
    const when = state.asOf ? `${t("as_of")} ${day(state.asOf)}` : t("as_recorded_now");
    document.getElementById("where").textContent = [countyName(state.county), termName(state.term),
      `${t("year")} ${state.year}`, when].join(" · ");
    document.title = `${t("title")} · ${countyName(state.county)}`;
    const page = document.getElementById("dashboard");
    page.dataset.county = state.county;
    page.dataset.term = state.term;
    page.dataset.year = state.year;
    page.dataset.asOf = state.asOf;
    page.dataset.lang = window.Eduplan.lang;
  }

  async function refresh() {
    generation += 1;
    const current = generation;
    const page = document.getElementById("dashboard");
    page.dataset.state = "loading";
    if (state.yearFollowsTerm) state.year = String(schoolYearOf(state.term));
    showControls();
    writeUrl();
    describe();
    if (figures === null) {
      figures = await api("/api/audit/figures").then(
        (list) => new Set(list.map((f) => f.figure)), () => new Set());
    }
    await Promise.all([
      deadLetters(current),
      load("plan", planSection, current),
      load("compare", compareSection, current),
      load("aid", aidSection, current),
      load("schools", schoolsSection, current),
      load("missing", missingSection, current),
      load("trends", trendsSection, current),
      load("teachers", teachersSection, current),
      load("alerts", alertsSection, current),
      load("pairs", pairsSection, current),
      load("balance", balanceSection, current),
    ]);
    if (current === generation) page.dataset.state = "ready";
  }

  function apply(event) {
    if (event) event.preventDefault();
    const before = JSON.stringify(state);
    state.county = document.getElementById("county").value.trim();
    if (countyLimited() && !me.counties.includes(state.county)) state.county = me.counties[0];
    const term = document.getElementById("term").value;
    const year = document.getElementById("year").value.trim();
    if (event && event.target && event.target.id === "year") state.yearFollowsTerm = false;
    if (term !== state.term) state.judgedOn = ""; // a chosen term: judged by that term
    if (term !== state.term && state.yearFollowsTerm) state.year = String(schoolYearOf(term));
    else state.year = year;
    state.term = term;
    state.asOf = document.getElementById("as-of").value;
    if (JSON.stringify(state) !== before) {
      state.schoolStage = "";
      alertView = { page: 0, kind: "" };
    }
    if (JSON.stringify(state) !== before || (event && event.type === "submit")) refresh();
  }

  /** Another language: the labels of the page, then every section again. */
  async function switchLanguage(event) {
    const choice = event.target.value;
    window.Eduplan.remember(choice);
    await window.Eduplan.loadCatalogue(choice);
    await whoAmI();
    await refresh();
  }

  async function whoAmI() {
    me = await api("/api/me");
    const roles = me.roles.map((r) => L("role", r)).join("、");
    document.getElementById("user").textContent = `${me.user}（${roles}）`;
  }

  async function start() {
    try {
      await window.Eduplan.loadCatalogue();
      await whoAmI();
      countyList = await api("/api/county-names");
    } catch (exc) {
      document.getElementById("where").textContent = exc.message;
      return;
    }
    readUrl();
    const form = document.getElementById("controls");
    form.addEventListener("submit", apply);
    form.addEventListener("change", apply);
    document.getElementById("year").addEventListener("input", () => {
      state.yearFollowsTerm = false;
    });
    document.getElementById("lang").addEventListener("change", switchLanguage);
    document.getElementById("print").addEventListener("click", () => window.print());
    if (!state.term) {
      fillTerms(FALLBACK_TERM);
      document.getElementById("where").textContent = t("loading");
      const judged = await api("/api/judged-on", { county: county() });
      state.term = judged.term;
      state.judgedOn = state.judgedOn || judged.judged_on;
    }
    await refresh();
  }

  start();
})();
