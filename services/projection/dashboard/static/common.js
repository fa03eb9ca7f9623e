/* What the dashboard's pages share: the catalogue (labels and sentences in the person's
 * language, from /i18n, the same gettext catalogue the command line reads), numbers, money and
 * dates as a county office writes them, elements, and downloads of a shown table.
 */
"use strict";

window.Eduplan = (() => {
  const LANG_KEY = "eduplan-lang";
  let lang = "zh";
  let messages = {};

  /** The language: ?lang= of the page, else the one chosen before, else the server decides
   * (the browser's Accept-Language, EDUPLAN_LANG, Chinese). */
  async function loadCatalogue(asked) {
    const wanted = asked || new URLSearchParams(location.search).get("lang") ||
      localStorage.getItem(LANG_KEY) || "";
    const response = await fetch(`/i18n${wanted ? `?lang=${encodeURIComponent(wanted)}` : ""}`);
    const body = await response.json();
    lang = body.lang;
    messages = body.messages;
    document.documentElement.lang = lang === "zh" ? "zh-CN" : "en";
    for (const node of document.querySelectorAll("[data-i18n]")) {
      node.textContent = t(node.dataset.i18n);
    }
    for (const node of document.querySelectorAll("[data-i18n-title]")) {
      node.title = t(node.dataset.i18nTitle);
    }
    return body;
  }

  function remember(choice) {
    localStorage.setItem(LANG_KEY, choice);
  }

  /** A sentence of the page, filled in: t("tasks_done", { done: 3, ... }). */
  function t(key, values) {
    const template = (messages.ui || {})[key] || key;
    return template.replace(/\{(\w+)\}/g, (_, name) =>
      (values && values[name] !== undefined ? String(values[name]) : `{${name}}`));
  }

  /** The name of a machine id: L("stage", "high_school") is 高中 or "High school". */
  function L(context, id) {
    if (id === null || id === undefined) return "";
    const found = (messages[context] || {})[String(id)];
    return found === undefined ? String(id).replaceAll("_", " ") : found;
  }

  const field = (name) => L("field", name);
  const integer = (n) => Number(n).toLocaleString("en-US");
  const money = (n) => {
    const value = Number(n);
    const text = Math.abs(value).toLocaleString("en-US",
      { minimumFractionDigits: 2, maximumFractionDigits: 2 });
    return `${value < 0 ? "-" : ""}¥${text}`;
  };

  /** 2017年11月20日 in Chinese, 2017-11-20 in English. */
  function day(text) {
    if (!text) return "";
    const [y, m, d] = String(text).slice(0, 10).split("-");
    return lang === "zh" ? `${y}年${Number(m)}月${Number(d)}日` : `${y}-${m}-${d}`;
  }

  /** 2017-autumn as 2017年秋季 or "2017 autumn". */
  function term(id) {
    const [year, season] = String(id).split("-");
    return season ? t("term_label", { year, season: L("season", season) }) : String(id);
  }

  const SVG_NS = "http://www.w3.org/2000/svg";

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

  const el = (tag, attrs, ...children) => fill(document.createElement(tag), attrs, children);
  const svg = (tag, attrs, ...children) => fill(document.createElementNS(SVG_NS, tag), attrs, children);

  /** A shown table as the server's export wants it: headers and per cell its text and, for a
   * figure, the number behind it (data-value), amounts marked as money. */
  function sheetOf(tableNode, name, format) {
    const caption = tableNode.querySelector("caption");
    const headers = [...tableNode.querySelectorAll("thead th")].map((th) => th.textContent.trim());
    const rows = [...tableNode.querySelectorAll("tbody tr, tfoot tr")].map((tr) =>
      [...tr.children].map((cell) => {
        const figure = cell.dataset.value !== undefined && cell.dataset.value !== "" &&
          cell.dataset.value !== "null" && !Number.isNaN(Number(cell.dataset.value));
        const own = cell.cloneNode(true);
        own.querySelectorAll(".events, button").forEach((n) => n.remove());
        return {
          text: own.textContent.replace(/\s+/g, " ").trim(),
          value: figure ? String(cell.dataset.value) : null,
          money: cell.dataset.money === "true",
        };
      }));
    return {
      title: caption ? caption.textContent.trim() : name,
      filename: name,
      headers,
      rows,
      format,
    };
  }

  /** Ask the server for the file of a shown table and hand it to the browser as a download. */
  async function download(tableNode, name, format) {
    const response = await fetch("/api/export", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(sheetOf(tableNode, name, format)),
    });
    if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
    const blob = await response.blob();
    const link = el("a", { href: URL.createObjectURL(blob), download: `${name}.${format}` });
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(link.href), 10_000);
  }

  function downloads(tableNode, name) {
    const button = (format, key) => el("button", {
      type: "button", className: "download", "data-testid": `download-${format}`,
      "data-table": name, on: { click: () => download(tableNode, name, format) },
    }, t(key));
    return el("span", { className: "downloads" }, button("xlsx", "download_xlsx"),
      button("csv", "download_csv"));
  }

  return {
    loadCatalogue, remember, t, L, field, integer, money, day, term, el, svg, downloads,
    get lang() { return lang; },
  };
})();
