// Small behaviours for every page: the phone menu, confirmations, and CSRF for htmx requests.
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }
  window.tiaojie = { csrfToken: csrfToken };

  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector(".menu-toggle");
    var nav = document.getElementById("site-nav");
    if (toggle && nav) {
      toggle.addEventListener("click", function () {
        var open = nav.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
  });

  // Forms that end or discard something ask first.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
    }
  });

  // Buttons that print the page (the outbox).
  document.addEventListener("click", function (event) {
    var target = event.target;
    if (target && target.closest && target.closest("[data-print]")) {
      window.print();
    }
  });

  // Task forms ask for a field only while the answer it depends on is given: the others are
  // hidden and left out of what is sent.
  function currentAnswer(form, name) {
    var checked = form.querySelector('input[name="' + name + '"]:checked');
    if (checked) { return checked.value; }
    var select = form.querySelector('select[name="' + name + '"]');
    return select ? select.value : "";
  }
  function showDependentFields(form) {
    form.querySelectorAll("[data-shown-when]").forEach(function (field) {
      var answers = JSON.parse(field.getAttribute("data-shown-values") || "[]");
      var shown = answers.indexOf(currentAnswer(form, field.getAttribute("data-shown-when"))) >= 0;
      field.hidden = !shown;
      field.querySelectorAll("input, select, textarea").forEach(function (input) {
        input.disabled = !shown;
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[data-shown-when]")) {
        showDependentFields(form);
        form.addEventListener("change", function () { showDependentFields(form); });
      }
    });
  });

  // htmx requests carry the CSRF token in the header Flask-WTF reads.
  document.addEventListener("htmx:configRequest", function (event) {
    event.detail.headers["X-CSRFToken"] = csrfToken();
  });
})();
