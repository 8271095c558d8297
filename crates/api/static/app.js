// Enhances the campaign pages; everything works without it. Same-origin requests only.
(function () {
  "use strict";
  var lang = document.documentElement.lang || "ru";
  function grouped(minor) {
    var whole = Math.floor(Math.abs(minor) / 100).toString().replace(/\B(?=(\d{3})+(?!\d))/g, " ");
    var cents = Math.abs(minor) % 100;
    var sep = lang === "en" ? "." : ",";
    return (minor < 0 ? "\u2212" : "") + whole + (cents ? sep + (cents < 10 ? "0" : "") + cents : "");
  }
  function money(minor, currency) { return grouped(minor) + " " + (currency === "KZT" ? "\u20b8" : currency); }
  // As the server writes it (format.rs): "18.9%" in English, "18,9 %" (no-break space) else.
  function percent(raised, goal) {
    var tenths = goal > 0 ? Math.floor(Math.max(raised, 0) * 1000 / goal) : 0;
    var number = tenths % 10 ? Math.floor(tenths / 10) + (lang === "en" ? "." : ",") + (tenths % 10) : String(tenths / 10);
    return lang === "en" ? number + "%" : number + "\u00a0%";
  }
  function plural(el, n) {
    var forms = JSON.parse(el.getAttribute("data-forms") || "{}");
    var form = forms[new Intl.PluralRules(lang).select(n)] || forms.other || forms.many || "#";
    return form.replace("#", String(n));
  }
  function fill(p) {
    document.querySelectorAll("[data-live]").forEach(function (el) {
      var what = el.getAttribute("data-live");
      if (what === "raised") el.textContent = money(p.raised, p.currency);
      else if (what === "percent") el.textContent = percent(p.raised, p.goal);
      else if (what === "donors") el.textContent = plural(el, p.pledges);
      else if (what === "bar") { el.value = Math.min(p.raised, p.goal); el.textContent = percent(p.raised, p.goal); }
    });
    var plan = document.querySelector("[data-plan]");
    if (!plan) return;
    p.allocation.forEach(function (line) {
      var li = plan.querySelector('[data-line="' + line.key + '"]');
      if (!li) return;
      var state = line.target === null ? (line.funded > 0 ? "filling" : "waiting")
        : line.funded >= line.target ? "full" : line.funded > 0 ? "filling" : "waiting";
      var tag = li.querySelector(".state");
      tag.className = "state " + state;
      tag.textContent = plan.getAttribute("data-" + state);
      var bar = li.querySelector("progress");
      if (bar && line.target !== null) bar.value = Math.min(line.funded, line.target);
      var of = li.querySelector(".of");
      of.textContent = line.target === null
        ? plan.getAttribute("data-open").replace("%F", money(line.funded, p.currency))
        : plan.getAttribute("data-of").replace("%F", money(line.funded, p.currency)).replace("%T", money(line.target, p.currency));
    });
  }
  // One stream while the page is shown: closed when it is left, so that a browser's few
  // connections per site (six over HTTP/1.1) are not held by pages no longer on screen.
  var live = document.querySelector("[data-events]");
  var stream = null;
  // A stream the server refuses (too many from this address: 429, or from everyone: 503) is
  // not retried by the browser: the progress is then read once at once and every 30 s after,
  // slowly.
  var polling = null;
  function pollSlowly() {
    if (polling || !live) return;
    var url = live.getAttribute("data-events").replace(/\/events$/, "");
    var read = function () {
      fetch(url, { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (p) { if (p) fill(p); })
        .catch(function () { /* the next tick tries again */ });
    };
    read();
    polling = setInterval(read, 30000);
  }
  function listen() {
    if (!live || !window.EventSource || stream) return;
    stream = new EventSource(live.getAttribute("data-events"));
    stream.addEventListener("progress", function (e) {
      try { fill(JSON.parse(e.data)); } catch (err) { /* a malformed event changes nothing */ }
    });
    stream.addEventListener("error", function () {
      if (stream && stream.readyState === EventSource.CLOSED) { stream = null; pollSlowly(); }
    });
  }
  window.addEventListener("pagehide", function () {
    if (stream) { stream.close(); stream = null; }
    if (polling) { clearInterval(polling); polling = null; }
  });
  window.addEventListener("pageshow", listen);
  listen();
  // A fresh Idempotency-Key for each form shown: a double click makes one pledge.
  document.querySelectorAll("input[name=key]").forEach(function (input) {
    if (!input.value && window.crypto && crypto.randomUUID) input.value = crypto.randomUUID();
  });
  // Typing another amount unselects the presets; choosing a preset clears it. The button says
  // the amount that will be given, as the server wrote it ("Помочь 5 000 ₸").
  var other = document.getElementById("amount-other");
  var submit = document.getElementById("give-submit");
  function sayAmount() {
    if (!submit) return;
    var currency = submit.form.getAttribute("data-currency");
    var typed = other ? other.value.replace(/[\s\u00a0\u20b8]/g, "").replace(",", ".") : "";
    var minor = null;
    if (typed) {
      if (/^\d+(\.\d{1,2})?$/.test(typed)) minor = Math.round(parseFloat(typed) * 100);
    } else {
      var checked = document.querySelector("input[name=preset]:checked");
      if (checked) minor = parseInt(checked.value, 10);
    }
    var monthly = document.querySelector("input[name=interval][value=month]:checked");
    var template = submit.getAttribute(monthly ? "data-with-month" : "data-with");
    submit.textContent = minor ? template.replace("#", money(minor, currency)) : submit.getAttribute("data-plain");
  }
  document.querySelectorAll("input[name=interval]").forEach(function (r) { r.addEventListener("change", sayAmount); });
  if (other) {
    other.addEventListener("input", function () {
      if (other.value) document.querySelectorAll("input[name=preset]").forEach(function (r) { r.checked = false; });
      sayAmount();
    });
    document.querySelectorAll("input[name=preset]").forEach(function (r) {
      r.addEventListener("change", function () { other.value = ""; sayAmount(); });
    });
  }
  // The phone's Give bar steps aside while the form is on screen.
  var bar = document.querySelector(".give-bar");
  var give = document.getElementById("give");
  if (bar && give && window.IntersectionObserver) {
    new IntersectionObserver(function (entries) {
      bar.classList.toggle("away", entries[0].isIntersecting);
    }).observe(give);
  }
  // A refused form's summary of what to correct is what a reader meets first.
  // Again once loaded: the browser's own move to the answer's #give comes after this script.
  var summary = document.querySelector(".error-summary") || document.getElementById("unpaid");
  if (summary) {
    summary.focus();
    window.addEventListener("load", function () { summary.focus(); });
  }
  // The thanks page follows its pledge while it waits; when its state changes, the page is
  // read again, which says the one true thing of the new state (and shows what follows it).
  var pledge = document.querySelector("[data-pledge]");
  if (pledge && pledge.getAttribute("data-state") === "pending") {
    var poll = function () {
      fetch(pledge.getAttribute("data-pledge"), { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (p) {
          if (!p) return setTimeout(poll, 3000);
          if (p.status === "pending") setTimeout(poll, 1500);
          else window.location.reload();
        })
        .catch(function () { setTimeout(poll, 3000); });
    };
    setTimeout(poll, 1000);
  }
  // "Copy the link": shown only where the script can copy.
  document.querySelectorAll("[data-copy]").forEach(function (button) {
    if (!navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
        button.textContent = button.getAttribute("data-copied");
      });
    });
  });
})();
