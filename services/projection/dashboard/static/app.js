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

  const STAGES = {
    preschool: "Preschool 学前",
    primary: "Primary 小学",
    junior: "Junior 初中",
    high_school: "High school 高中",
    vocational: "Vocational 中职",
    undergraduate: "Undergraduate 本科",
    junior_college: "Junior college 专科",
  };
  const STAGE_SHORT = {
    preschool: ["Preschool", "学前"],
    primary: ["Primary", "小学"],
    junior: ["Junior", "初中"],
    high_school: ["High sch.", "高中"],
    vocational: ["Vocational", "中职"],
    undergraduate: ["Undergrad.", "本科"],
    junior_college: ["Jr. college", "专科"],
  };
  const SUBJECTS = {
    chinese: "Chinese 语文",
    mathematics: "Mathematics 数学",
    english: "English 英语",
    physics: "Physics 物理",
    chemistry: "Chemistry 化学",
    biology: "Biology 生物",
    politics: "Politics 政治",
    history: "History 历史",
    geography: "Geography 地理",
  };
  const STATUSES = {
    done: "done",
    on_track: "on track",
    behind: "behind",
    not_started: "not started",
    no_target: "no target",
  };
  const INDICATORS = {
    floor_area_per_student: "Teaching floor area per student",
    sports_area_per_student: "Sports ground per student",
    equipment_value_per_student: "Equipment value per student",
    computers_per_100_students: "Computers per 100 students",
    books_per_student: "Library books per student",
    teachers_per_student: "Teachers per student",
    qualified_teachers_per_student: "Teachers above qualification per student",
    titled_teachers_per_student: "Titled teachers per student",
    qualified_teachers_per_100_students: "Teachers above qualification per 100",
    backbone_teachers_per_100_students: "Backbone teachers per 100",
    pe_art_teachers_per_100_students: "PE and art teachers per 100",
    multimedia_classrooms_per_100_students: "Multimedia classrooms per 100",
  };
  const ALERT_KINDS = {
    missing_aid: "Missing aid",
    dropout_open: "Dropout alert open",
    subject_without_master_teacher: "Subject without a master teacher",
    caravan_visit_missing: "Caravan visit missing",
    pair_without_secondment: "Pair without a secondment",
    institution_without_research_visit: "Institution not visited",
  };

  // ---------------------------------------------------------------------------------------
  // Small helpers: elements, numbers, dates

  const SVG_NS = (() => {
    const t = document.createElement("template");
    t.innerHTML = "<svg></svg>";
    return t.content.firstChild.namespaceURI;
  })();

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    return fill(node, attrs, children);
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    return fill(node, attrs, children);
  }

  function fill(node, attrs, children) {
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key === "text") node.textContent = String(value);
      else if (key === "on") for (const [e, f] of Object.entries(value)) node.addEventListener(e, f);
      else node.setAttribute(key === "className" ? "class" : key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  const integer = (n) => Number(n).toLocaleString("en-US");
  const money = (n) =>
    "¥" + Number(n).toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  /** Rounded down: 6,717 of 6,720 is 99.9%, never 100.0%. */
  const percent = (part, whole) =>
    whole ? `${(Math.floor((1000 * part) / whole) / 10).toFixed(1)}%` : "–";
  const decimal = (text) => (text === null || text === undefined ? "–" : Number(text).toFixed(3));
  const label = (table, key) => table[key] || String(key).replaceAll("_", " ");
  const plural = (n, word) => `${integer(n)} ${word}${Number(n) === 1 ? "" : "s"}`;
  const sum = (rows, key) => rows.reduce((total, r) => total + Number(r[key] || 0), 0);

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
  };
  let me = { user: "", roles: [], counties: [] }; // who is logged in (/api/me)
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
    history.replaceState(null, "", `${location.pathname}?${q}`);
  }

  class ApiError extends Error {}

  async function api(path, params) {
    const q = new URLSearchParams();
    for (const [key, value] of Object.entries(params || {})) {
      if (value !== null && value !== undefined && value !== "") q.set(key, value);
    }
    if (state.asOf) q.set("as_of", state.asOf);
    const url = q.toString() ? `${path}?${q}` : path;
    let response;
    try {
      response = await fetch(url, { headers: { Accept: "application/json" } });
    } catch (exc) {
      throw new ApiError(`${path}: the server cannot be reached (${exc.message})`);
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
      throw new ApiError(`${path}: the session has ended; log in again`);
    }
    if (!response.ok) {
      const why = body && body.message ? body.message : text.slice(0, 300) || response.statusText;
      const code = body && body.error ? ` ${body.error}` : "";
      throw new ApiError(`${path} answered ${response.status}${code}: ${why}`);
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
    if (!body.childElementCount) body.append(el("p", { className: "loading", text: "Loading…" }));
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
      `This part could not be loaded: ${exc.message}`);
  }

  function table(caption, columns, rows, extra) {
    const head = el("tr", {}, columns.map((c) =>
      el("th", { scope: "col", className: c.num ? "num" : null }, c.title)));
    return el("div", { className: "scroll" },
      el("table", extra || {},
        el("caption", { text: caption }),
        el("thead", {}, head),
        el("tbody", {}, rows),
      ));
  }

  function cell(content, attrs) {
    return el("td", attrs || {}, content);
  }

  function num(value, field, text) {
    return el("td", { className: "num", "data-field": field, "data-value": value },
      text === undefined ? integer(value) : text);
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
      "aria-label": `events behind ${what}`,
      title: `List the recorded events behind ${what}`,
      on: { click: (event) => { event.preventDefault(); openAudit(search, what, shown); } },
    }, "events");
  }

  // Plan progress --------------------------------------------------------------------------

  async function planSection() {
    const day = judgedOn();
    const report = await api("/api/plan-progress", { county: county(), judged_on: day });
    if (report.message) return el("p", { className: "empty" }, report.message);
    const tasks = report.tasks;
    const counts = {};
    for (const key of Object.keys(STATUSES)) counts[key] = 0;
    for (const t of tasks) counts[t.status] = (counts[t.status] || 0) + 1;
    const province = !county();
    const columns = [
      ...(province ? [{ title: "County" }] : []),
      { title: "Task" }, { title: "Target" }, { title: "Responsible units" },
      { title: "Actual" }, { title: "Status" },
    ];
    const rows = tasks.map((t) => el("tr", {
      "data-testid": "plan-row", "data-task": t.task_id, "data-status": t.status,
      className: t.status === "behind" ? "alarm" : null,
    },
    ...(province ? [cell(t.county)] : []),
    cell([el("strong", { text: t.task_id }), " ", el("span", { lang: "zh", text: t.task_zh }),
      t.rhythm ? el("span", { className: "sub", text: t.rhythm }) : null]),
    cell(t.target.replaceAll("_", " ")),
    cell(el("span", { className: "units", text: t.units.join(", ") })),
    cell([t.actual, t.events ? eventsLink(t.events.figure, { ...t.events, county: t.county },
      `task ${t.task_id}`, t.actual) : null,
    t.detail ? el("span", { className: "sub", text: t.detail }) : null]),
    cell(badge(t.status, label(STATUSES, t.status)), { "data-testid": "plan-status" }),
    ));
    return [
      el("p", { className: "headline", "data-testid": "plan-headline" },
        el("strong", { text: `${counts.done} of ${tasks.length}` }), " tasks done, ",
        `${counts.on_track} on track, `, el("strong", { text: String(counts.behind) }),
        ` behind — statuses judged on ${report.judged_on}`),
      statusChart(counts, tasks.length),
      table(`Tasks of the plan${province ? ", every county" : ""}, judged on ${report.judged_on}`,
        columns, rows, { "data-testid": "plan-table" }),
    ];
  }

  function statusChart(counts, total) {
    const width = 640;
    const chart = svg("svg", {
      className: "chart", viewBox: `0 0 ${width} 34`, role: "img",
      "data-testid": "plan-status-chart",
      "aria-label": Object.entries(counts).map(([k, n]) => `${n} ${label(STATUSES, k)}`).join(", "),
    });
    let x = 0;
    for (const [status, n] of Object.entries(counts)) {
      if (!n) continue;
      const w = (width * n) / total;
      chart.append(svg("rect", {
        className: `st-${status}`, x, y: 4, width: w, height: 26, "data-status": status,
      }, svg("title", { text: `${n} ${label(STATUSES, status)}` })));
      if (w > 28) {
        chart.append(svg("text", {
          x: x + w / 2, y: 22, "text-anchor": "middle", fill: "#fff", style: "fill:#fff",
          text: String(n),
        }));
      }
      x += w;
    }
    const legend = el("ul", { className: "legend" }, Object.entries(counts).map(([status, n]) =>
      el("li", {}, el("i", { className: `st-${status}` }), `${label(STATUSES, status)}: ${n}`)));
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
    el("th", { scope: "row", text: label(STAGES, r.stage) }),
    num(r.registered, "registered"),
    num(r.eligible, "eligible"),
    el("td", { className: "num", "data-field": "aided", "data-value": r.aided },
      integer(r.aided), eventsLink("aid-coverage", { term: state.term, stage: r.stage },
        `${label(STAGES, r.stage)} aided in ${state.term}`, `${integer(r.aided)} students aided`)),
    num(r.missing, "missing"),
    num(r.amount_granted, "amount_granted", money(r.amount_granted)),
    num(r.amount_paid, "amount_paid", money(r.amount_paid)),
    ));
    const granted = sum(rows, "amount_granted");
    const paid = sum(rows, "amount_paid");
    const total = el("tr", { "data-testid": "aid-total" },
      el("td", { text: "All stages" }),
      num(sum(rows, "registered"), "registered"), num(eligible, "eligible"),
      el("td", { className: "num", "data-field": "aided" }, integer(aided),
        eventsLink("aid-coverage", { term: state.term }, `every student aided in ${state.term}`,
          `${integer(aided)} students aided`)),
      num(sum(rows, "missing"), "missing"),
      num(granted.toFixed(2), "amount_granted", money(granted)),
      el("td", { className: "num", "data-field": "amount_paid" }, money(paid),
        eventsLink("aid-payments", { term: state.term }, `the payments of ${state.term}`,
          `${money(paid)} paid`)),
    );
    const columns = [
      { title: "Stage" }, { title: "On roster", num: true }, { title: "Eligible", num: true },
      { title: "Aided", num: true }, { title: "Missing", num: true },
      { title: "Granted", num: true }, { title: "Paid", num: true },
    ];
    const grid = table(`Registered poor students by stage, ${state.term}`, columns, body,
      { "data-testid": "aid-table" });
    grid.querySelector("table").append(el("tfoot", {}, total));
    return [
      el("p", { className: "headline", "data-testid": "aid-headline" },
        el("strong", { text: `${integer(aided)} of ${integer(eligible)}` }),
        ` eligible students aided in ${state.term} (${percent(aided, eligible)}); `,
        `${money(granted)} granted, ${money(paid)} paid`),
      el("div", { className: "split" },
        el("div", {}, coverageChart(rows), el("ul", { className: "legend" },
          el("li", {}, el("i", { style: "background: var(--pass)" }), "every eligible student aided"),
          el("li", {}, el("i", { style: "background: var(--fail)" }), "some missing"))),
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
      "aria-label": "Share of eligible students aided, by stage: " + rows.map((r) =>
        `${label(STAGES, r.stage)} ${percent(r.aided, r.eligible)}`).join(", "),
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
      const [english, chinese] = STAGE_SHORT[r.stage] || [r.stage, ""];
      chart.append(
        svg("rect", { className: "bg", x, y: top, width: bar, height: plot }),
        svg("rect", {
          className: `bar ${cls}`, x, y: top + plot - h, width: bar, height: h,
          "data-testid": "aid-bar", "data-stage": r.stage, "data-aided": r.aided,
          "data-eligible": r.eligible,
        }, svg("title", { text: `${label(STAGES, r.stage)}: ${integer(r.aided)} of ` +
          `${integer(r.eligible)} aided, ${integer(r.missing)} missing` })),
        svg("text", { x: x + bar / 2, y: top + plot - h - 5, "text-anchor": "middle",
          text: r.eligible ? percent(r.aided, r.eligible) : "–" }),
        svg("text", { x: x + bar / 2, y: height - bottom + 16, "text-anchor": "middle",
          text: chinese }),
        svg("text", { x: x + bar / 2, y: height - bottom + 30, "text-anchor": "middle",
          className: "muted small", text: english }),
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
      `University rosters ${year}-${year + 1}: ${dispatches.length} universities sent `,
      `${integer(students)} registered poor students; ${reported} reported aid back`,
      late ? `, ${late} report(s) missing or late` : "",
      eventsLink("university-dispatches", { school_year: year },
        `the university rosters of ${year}`, `${dispatches.length} universities sent rosters`));
  }

  async function missingSection() {
    const [rows, coverage] = await Promise.all([
      api("/api/students-missing-aid", { term: state.term, county: county(), limit: MISSING_SHOWN }),
      api("/api/aid-coverage", { term: state.term, county: county() }),
    ]);
    const total = sum(coverage, "missing");
    const headline = el("p", { className: "headline", "data-testid": "missing-headline" },
      el("strong", { "data-testid": "missing-count", text: integer(total) }),
      ` eligible student${total === 1 ? "" : "s"} without aid for ${state.term}`,
      eventsLink("aid-missing", { term: state.term },
        `the assessments of ${state.term} that granted nothing`,
        `${integer(total)} students missing aid`));
    if (!rows.length) {
      return [headline, el("p", { className: "empty", text: "Nobody is missing aid." })];
    }
    const body = rows.map((r) => el("tr", { "data-testid": "missing-row", "data-student": r.student_id },
      cell([r.name || "–", el("span", { className: "sub", text: r.registry_id || "" })]),
      cell(r.school),
      cell(`${label(STAGES, r.stage)} ${r.grade}`),
      cell(el("span", { className: "sub", text: r.reason })),
    ));
    return [
      headline,
      table(`Students missing aid, ${state.term}` +
        (total > rows.length ? ` (first ${rows.length} of ${integer(total)})` : ""),
      [{ title: "Student" }, { title: "School" }, { title: "Stage, grade" }, { title: "Why" }],
      body, { "data-testid": "missing-table" }),
    ];
  }

  // Master teachers ------------------------------------------------------------------------

  async function teachersSection() {
    const posts = await api("/api/staffing/coverage", { term: state.term, county: county() });
    if (!posts.length) {
      return el("p", { className: "empty",
        text: "No master-teacher targets adopted and nobody dispatched for this term." });
    }
    const targeted = posts.filter((p) => p.min !== null);
    const covered = targeted.filter((p) => p.teachers >= p.min).length;
    const body = posts.map((p) => el("tr", {
      "data-testid": "teacher-row", "data-subject": p.subject, "data-status": p.status,
      className: p.status === "missing" ? "alarm" : null,
    },
    el("th", { scope: "row", text: label(SUBJECTS, p.subject) }),
    cell(p.host_school_name || p.host_school || "all host schools"),
    el("td", { className: "num", "data-field": "teachers", "data-value": p.teachers },
      integer(p.teachers), eventsLink("master-teachers",
        p.host_school ? { subject: p.subject, host_school: p.host_school } : { subject: p.subject },
        `the ${label(SUBJECTS, p.subject)} master teachers`, `${p.teachers} teacher(s)`)),
    num(p.arrived, "arrived"),
    cell(p.min === null ? "–" : `${p.min}–${p.max}`, { className: "num" }),
    cell(badge(p.status, p.status.replaceAll("_", " "))),
    ));
    return [
      el("p", { className: "headline", "data-testid": "teachers-headline" },
        el("strong", { text: `${covered} of ${targeted.length}` }),
        ` subjects have their master teachers in ${state.term}`),
      teacherChart(posts),
      table(`Support master teachers per subject and host school, ${state.term}`,
        [{ title: "Subject" }, { title: "Host school" }, { title: "Teachers", num: true },
          { title: "Arrived", num: true }, { title: "Target", num: true }, { title: "Status" }],
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
      "aria-label": "Master teachers per subject against the target range: " + posts.map((p) =>
        `${label(SUBJECTS, p.subject)} ${p.teachers}`).join(", "),
    });
    for (let n = 0; n <= most; n += 1) {
      chart.append(svg("line", { className: "grid", x1: x(n), x2: x(n), y1: top - 6, y2: height - 6 }),
        svg("text", { x: x(n), y: 12, "text-anchor": "middle", className: "muted", text: String(n) }));
    }
    posts.forEach((p, i) => {
      const y = top + i * rowHeight + rowHeight / 2;
      chart.append(svg("text", { x: left - 8, y: y + 4, "text-anchor": "end",
        text: label(SUBJECTS, p.subject) }));
      if (p.min !== null) {
        chart.append(svg("rect", { className: "band", x: x(p.min), y: y - 8,
          width: Math.max(2, x(p.max) - x(p.min)), height: 16 },
        svg("title", { text: `target ${p.min}–${p.max}` })));
      }
      const cls = p.status === "missing" ? "fail" : p.status === "no_target" ? "neutral" : "pass";
      chart.append(svg("circle", {
        className: `dot ${cls}`, cx: x(p.teachers), cy: y, r: 6,
        "data-testid": "teacher-dot", "data-subject": p.subject, "data-teachers": p.teachers,
      }, svg("title", { text: `${label(SUBJECTS, p.subject)}: ${p.teachers} teacher(s)` })));
    });
    return [chart, el("ul", { className: "legend" },
      el("li", {}, el("i", { style: "background: var(--band)" }), "target range"),
      el("li", {}, el("i", { style: "background: var(--pass)" }), "within"),
      el("li", {}, el("i", { style: "background: var(--fail)" }), "below target"))];
  }

  // Pairs ----------------------------------------------------------------------------------

  async function pairsSection() {
    const day = judgedOn();
    const [summary, pairs] = await Promise.all([
      api("/api/pairing/county", { county: county(), on: day }),
      api("/api/pairing/pairs", { county: county(), on: day }),
    ]);
    if (!pairs.length) return el("p", { className: "empty", text: "No pair established yet." });
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
      el("th", { scope: "row" }, p.helped_school.name,
        eventsLink("pairs", { pair_id: p.pair_id }, `the pair of ${p.helped_school.name}`,
          `the pair's figures on ${summary.on}`),
        el("span", { className: "sub", text: label(STAGES, p.stage) })),
      cell([p.helper_school.name, el("span", { className: "sub", text: p.responsible_division })]),
      cell(badge(p.status, p.status)),
      side(p, "helper_to_helped"),
      side(p, "helped_to_helper"),
      cell(range, { className: "num" }),
      num(p.shadowing.periods, "shadowing", `${p.shadowing.periods} (${p.shadowing.months} mo)`),
      num(p.lessons.model_lessons, "model_lessons"),
      num(p.lessons.exchange_visits, "exchange_visits"),
      num(p.teacher_pairings.plans, "teacher_pairings"),
      num(p.resources.courseware + p.resources.teaching_results, "resources"),
      );
    });
    return [
      el("p", { className: "headline", "data-testid": "pairs-headline" },
        el("strong", { "data-testid": "pairs-active", text: String(summary.active_pairs) }),
        target === null ? " pairs active" : ` of ${target} pairs active`,
        ` on ${summary.on}; ${plural(summary.managers_seconded_on_day, "manager")} seconded `,
        `that day, ${plural(summary.shadowing_periods, "shadowing period")}, `,
        `${plural(summary.model_lessons, "model lesson")}, `,
        `${plural(summary.resources_shared, "resource")} shared`),
      table(`Pairs: the helped county school and its helper; managers seconded on ${summary.on}` +
        " (red: below the minimum)",
        [{ title: "Helped school" }, { title: "Helper school" }, { title: "Status" },
          { title: "Managers → helped", num: true }, { title: "→ helper", num: true },
          { title: "Target", num: true },
          { title: "Shadowing", num: true }, { title: "Model lessons", num: true },
          { title: "Exchange visits", num: true }, { title: "Teacher pairings", num: true },
          { title: "Resources", num: true }],
        body, { "data-testid": "pairs-table" }),
    ];
  }

  // Balanced development -------------------------------------------------------------------

  async function balanceSection() {
    const assessed = await api("/api/evaluation/balance", { year: state.year, county: county() });
    if (!assessed.length) {
      return el("p", { className: "empty", "data-testid": "balance-empty",
        text: `No balanced-development assessment for ${state.year}.` });
    }
    return el("div", { className: "stages" }, assessed.map(stageCard));
  }

  function stageCard(s) {
    const verdict = (met) => (met === null ? badge("none", "not assessed") :
      met ? badge("pass", "met") : badge("fail", "not met"));
    const rows = s.indicators.map((i) => {
      const outcome = i.passed === null ? "none" : i.passed ? "pass" : "fail";
      return el("tr", {
        "data-testid": "coef-row", "data-stage": s.stage, "data-indicator": i.indicator,
        "data-pass": outcome, className: outcome === "fail" ? "alarm" : null,
      },
      el("th", { scope: "row", text: label(INDICATORS, i.indicator) }),
      num(i.county_value, "county_value", Number(i.county_value).toLocaleString("en-US",
        { maximumFractionDigits: Math.abs(Number(i.county_value)) < 1 ? 3 : 2 })),
      num(i.coefficient, "coefficient", decimal(i.coefficient)),
      num(i.quality_max, "threshold", i.quality_max === null ? "–" : `≤ ${i.quality_max}`),
      cell(outcome === "none" ? el("span", { className: "sub", text: "in the composite" }) :
        badge(outcome, outcome === "pass" ? "pass" : "fail"), { "data-field": "passed" }),
      );
    });
    const composite = el("tr", {
      "data-testid": "coef-row", "data-stage": s.stage, "data-indicator": "composite",
      "data-pass": s.basic_balance_met ? "pass" : "fail",
    },
    el("th", { scope: "row", text: "Composite (mean of the eight)" }),
    cell("", { className: "num" }),
    num(s.composite, "coefficient", decimal(s.composite)),
    num(s.composite_max, "threshold", `≤ ${s.composite_max}`),
    cell(badge(s.basic_balance_met ? "pass" : "fail", s.basic_balance_met ? "pass" : "fail"),
      { "data-field": "passed" }));
    return el("article", { "data-testid": "balance-stage", "data-stage": s.stage,
      "aria-label": `${label(STAGES, s.stage)} ${s.year}` },
    el("h3", {}, `${label(STAGES, s.stage)}, ${s.year} — ${s.schools} schools `,
      eventsLink("balance",
        { year: s.year, stage: s.stage, ...(s.county ? { county: s.county } : {}) },
        `the ${label(STAGES, s.stage)} census and assessment of ${s.year}`,
        `composite ${decimal(s.composite)} over ${s.schools} schools`)),
    el("p", { className: "verdict" }, "Basic balance: ", verdict(s.basic_balance_met),
      ` composite ${decimal(s.composite)} against ≤ ${s.composite_max}; quality balance: `,
      verdict(s.quality_balance_met),
      s.schools_meeting_standards === null ? "" :
        ` (${s.schools_meeting_standards} of ${s.schools} schools meet the standards)`),
    coefficientChart(s),
    el("ul", { className: "legend" },
      el("li", {}, el("i", { style: "background: var(--pass)" }), "within its maximum"),
      el("li", {}, el("i", { style: "background: var(--fail)" }), "above it"),
      el("li", {}, el("i", { style: "background: var(--no-target)" }), "counts in the composite only"),
      el("li", {}, el("i", { style: "border-left: 2px dashed var(--fail); border-radius: 0" }),
        "maximum")),
    table(`Difference coefficients, ${label(STAGES, s.stage)} ${s.year} (${s.thresholds_id})`,
      [{ title: "Indicator" }, { title: "County value", num: true },
        { title: "Coefficient", num: true }, { title: "Threshold", num: true },
        { title: "Pass / fail" }],
      [composite, ...rows], { "data-testid": "balance-table" }),
    );
  }

  function coefficientChart(s) {
    const items = [
      { name: "Composite", value: Number(s.composite), max: Number(s.composite_max),
        outcome: s.basic_balance_met ? "pass" : "fail", indicator: "composite" },
      ...s.indicators.map((i) => ({
        name: label(INDICATORS, i.indicator), value: Number(i.coefficient),
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
      "aria-label": `Difference coefficients of ${label(STAGES, s.stage)} against their ` +
        "thresholds (dashed line): " + items.map((i) => `${i.name} ${i.value.toFixed(3)}` +
        (i.max === null ? "" : ` (max ${i.max})`)).join(", "),
    });
    chart.append(svg("text", { x: left, y: 12, className: "muted",
      text: "coefficient (bar) against its maximum (dashed line)" }));
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
    const rows = alerts.slice(0, ALERTS_SHOWN).map((a) => el("tr", {
      "data-testid": "alert-row", "data-kind": a.kind,
    },
    cell([label(ALERT_KINDS, a.kind), el("span", { className: "sub", text: `task ${a.task_id}` })]),
    cell([a.subject, eventsLink("alerts", { alert_key: a.alert_key }, `the alert on ${a.subject}`,
      "open"), el("span", { className: "sub", text: a.detail })]),
    cell(a.raised_on, { className: "num" }),
    ));
    const parts = [
      el("p", { className: "headline" },
        el("strong", { "data-testid": "alerts-count", text: integer(alerts.length) }),
        ` open alert${alerts.length === 1 ? "" : "s"}`,
        Object.keys(kinds).length ? ": " + Object.entries(kinds).map(([k, n]) =>
          `${integer(n)} ${label(ALERT_KINDS, k).toLowerCase()}`).join(", ") : "",
        eventsLink("alerts", {}, "the alerts", `${integer(alerts.length)} open`)),
    ];
    parts.push(dropouts instanceof Error ? errorBox(dropouts) :
      el("p", { className: "note", "data-testid": "dropout-alerts" },
        `Dropout alerts of compulsory-age pupils (assistance): ${dropouts.length} open`,
        eventsLink("dropout-alerts", {}, "the dropout alerts", `${dropouts.length} open`)));
    if (Object.keys(kinds).length) parts.push(kindChart(kinds));
    if (!alerts.length) {
      parts.push(el("p", { className: "empty", text: "No open alert." }));
    } else {
      const list = table(alerts.length > ALERTS_SHOWN ?
        `The ${ALERTS_SHOWN} oldest of ${integer(alerts.length)} open alerts` : "Open alerts",
      [{ title: "Kind" }, { title: "About" }, { title: "Raised", num: true }],
      rows, { "data-testid": "alerts-table" });
      list.classList.add("tall");
      parts.push(list);
    }
    return parts;
  }

  function kindChart(kinds) {
    const entries = Object.entries(kinds).sort((a, b) => b[1] - a[1]);
    const width = 640;
    const longest = Math.max(...entries.map(([k]) => label(ALERT_KINDS, k).length));
    const left = Math.max(150, 14 + 7.5 * longest); // room for the longest label
    const rowHeight = 22;
    const most = Math.max(...entries.map((e) => e[1]));
    const chart = svg("svg", {
      className: "chart", viewBox: `0 0 ${width} ${rowHeight * entries.length + 4}`, role: "img",
      "data-testid": "alerts-chart",
      "aria-label": "Open alerts by kind: " + entries.map(([k, n]) =>
        `${label(ALERT_KINDS, k)} ${n}`).join(", "),
    });
    entries.forEach(([kind, n], i) => {
      const y = i * rowHeight;
      const w = Math.max(2, ((width - left - 60) * n) / most);
      chart.append(
        svg("text", { x: left - 6, y: y + 15, "text-anchor": "end", text: label(ALERT_KINDS, kind) }),
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
        ` event${report.count === 1 ? "" : "s"} could not be applied to the read models ` +
        "(dead letters: " + Object.entries(perProjection).map(([p, n]) => `${p} ${integer(n)}`)
          .join(", ") + "); the figures below may be incomplete. Operators: ",
        el("code", { text: "eduplan projection dead-letters" }), ".");
      banner.hidden = false;
    } catch (exc) {
      if (current !== generation) return;
      banner.replaceChildren(`Dead letters unknown: ${exc.message}`);
      banner.dataset.count = "";
      banner.hidden = false;
    }
  }

  // The audit panel ------------------------------------------------------------------------

  async function openAudit(search, what, shown) {
    const dialog = document.getElementById("audit");
    const body = dialog.querySelector(".audit-body");
    document.getElementById("audit-title").textContent = `Events behind ${what}`;
    body.dataset.state = "loading";
    body.replaceChildren(el("p", { className: "loading", text: "Loading the events…" }));
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
          ` event${found.count === 1 ? "" : "s"}${found.count_capped ? " or more" : ""}: `,
          found.about, "."),
        shown ? el("p", { className: "note", "data-testid": "audit-figure" },
          `The dashboard shows: ${shown}. The events are the facts the figure is made of, ` +
          "not always one per unit counted (a student's grants: one per programme).") : null,
        el("p", { className: "note" }, `Figure ${found.figure} of ${found.report}; the first `,
          `${found.events.length} in the order recorded. All of them as CSV: `,
          el("a", { href: `/api/audit/export.csv?${q}`, "data-testid": "audit-export" },
            "export")),
        found.events.length ? table(`Events behind ${what}`,
          [{ title: "Recorded" }, { title: "Event" }, { title: "Who" }, { title: "County" },
            { title: "What" }], rows, { "data-testid": "audit-table" }) :
          el("p", { className: "empty", text: "No event behind this figure." }),
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
    select.replaceChildren(...terms.map((t) => el("option", { value: t, text: t })));
    select.value = selected;
  }

  function showControls() {
    document.getElementById("county").value = state.county;
    fillTerms(state.term);
    document.getElementById("year").value = state.year;
    document.getElementById("as-of").value = state.asOf;
  }

  /** The latest term whose grants are in the read model (as of the chosen day), else 2017. */
  function describe() {
    const where = state.county ? `County ${state.county}` : "Province (every county)";
    const when = state.asOf ? `as recorded by the end of ${state.asOf}` : "as recorded now";
    document.getElementById("where").textContent =
      `${where} · term ${state.term} · evaluation year ${state.year} · ${when}`;
    const page = document.getElementById("dashboard");
    page.dataset.county = state.county;
    page.dataset.term = state.term;
    page.dataset.year = state.year;
    page.dataset.asOf = state.asOf;
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
      load("aid", aidSection, current),
      load("missing", missingSection, current),
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
    if (JSON.stringify(state) !== before || (event && event.type === "submit")) refresh();
  }

  async function whoAmI() {
    me = await api("/api/me");
    document.getElementById("user").textContent = `${me.user} (${me.roles.join(", ")})`;
    const input = document.getElementById("county");
    if (countyLimited()) {
      input.placeholder = me.counties.join(", ");
      input.title = `You read county ${me.counties.join(", ")} only`;
    }
  }

  async function start() {
    try {
      await whoAmI();
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
    if (!state.term) {
      fillTerms(FALLBACK_TERM);
      document.getElementById("where").textContent = "Finding the reporting date…";
      const judged = await api("/api/judged-on", { county: county() });
      state.term = judged.term;
      state.judgedOn = state.judgedOn || judged.judged_on;
    }
    await refresh();
  }

  start();
})();
