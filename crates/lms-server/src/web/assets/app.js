// LMS pages' progressive enhancement. Every page works without it; with it,
// the request form shows the server's quote (days counted, balance after,
// holidays, overlaps) while typing, and "select all" works on bulk forms.
(function () {
  "use strict";
  function quoteForm(form) {
    var target = document.getElementById("quote");
    if (!target) { return; }
    var url = form.getAttribute("data-quote");
    var timer = null;
    var seq = 0;
    function refresh() {
      var params = new URLSearchParams(new FormData(form));
      params.delete("_csrf");
      var mine = ++seq;
      fetch(url + "?" + params.toString(), { credentials: "same-origin", headers: { "Accept": "text/html" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html !== null && mine === seq) { target.innerHTML = html; }
        })
        .catch(function () { /* the form still submits without a quote */ });
    }
    form.addEventListener("input", function () {
      if (timer) { clearTimeout(timer); }
      timer = setTimeout(refresh, 150);
    });
    form.addEventListener("change", refresh);
  }
  function selectAll(box) {
    box.hidden = false;
    box.addEventListener("change", function () {
      var form = box.form;
      if (!form) { return; }
      Array.prototype.forEach.call(form.querySelectorAll("input[name='ids']"), function (c) { c.checked = box.checked; });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-quote]"), quoteForm);
    Array.prototype.forEach.call(document.querySelectorAll("input[data-select-all]"), function (b) { selectAll(b.closest("label") ? b : b); });
    Array.prototype.forEach.call(document.querySelectorAll("[data-select-all-wrap]"), function (w) { w.hidden = false; });
  });
})();
