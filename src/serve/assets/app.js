// beian: live checks of the filing form. The form works without this
// script (the server checks every post); with it, each problem shows next
// to its field, in the words of `beian check`, once typing pauses.
"use strict";
(function () {
  var form = document.getElementById("record");
  if (!form) return;
  var kind = form.getAttribute("data-form");
  var touched = {};
  var showAll = false;
  var timer = null;
  var seq = 0;

  // The record the form holds, as the JSON that `beian check` reads.
  function record() {
    var rec = { form: kind };
    var els = form.elements;
    for (var i = 0; i < els.length; i++) {
      var el = els[i];
      var name = el.name;
      if (!name || name === "form" || name === "csrf") continue;
      var dot = name.indexOf(".");
      var target = rec;
      var key = name;
      if (dot > 0) {
        var section = name.slice(0, dot);
        key = name.slice(dot + 1);
        if (!rec[section]) rec[section] = {};
        target = rec[section];
      }
      if (el.type === "radio" && !el.checked) continue;
      var value = (el.value || "").trim();
      if (value === "") continue;
      if (el.type === "radio" && (value === "true" || value === "false")) {
        target[key] = value === "true";
      } else {
        target[key] = value;
      }
    }
    return rec;
  }

  function show(violations) {
    var byPath = {};
    var general = [];
    violations.forEach(function (v) {
      var slot = form.querySelector('[data-problem="' + v.path + '"]');
      if (v.path && slot) {
        (byPath[v.path] = byPath[v.path] || []).push(v.message);
      } else {
        general.push(v.text);
      }
    });
    var slots = form.querySelectorAll("[data-problem]");
    for (var i = 0; i < slots.length; i++) {
      var path = slots[i].getAttribute("data-problem");
      var shown = showAll || touched[path];
      var text = shown && byPath[path] ? byPath[path].join("；") : "";
      slots[i].textContent = text;
      var inputs = form.querySelectorAll('[name="' + path + '"]');
      for (var j = 0; j < inputs.length; j++) {
        if (text) inputs[j].setAttribute("aria-invalid", "true");
        else inputs[j].removeAttribute("aria-invalid");
      }
    }
    var box = document.getElementById("problems");
    if (box) {
      var list = box.querySelector("ul.live");
      var server = box.querySelector("ul.server");
      list.textContent = "";
      var head = box.querySelector("p");
      if (head) head.remove();
      if (showAll) {
        general.forEach(function (t) {
          var li = document.createElement("li");
          li.textContent = t;
          list.appendChild(li);
        });
      }
      box.hidden = list.children.length === 0 && (!server || server.children.length === 0);
    }
  }

  function check() {
    var mine = ++seq;
    fetch("/api/check?words=web", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(record()),
      credentials: "same-origin",
    })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (answer) {
        if (answer && mine === seq) show(answer.violations || []);
      })
      .catch(function () { /* offline: the server checks on submit */ });
  }

  function later() {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  }

  form.addEventListener("input", function (e) {
    if (e.target.name && e.target.value) touched[e.target.name] = true;
    later();
  });
  form.addEventListener("change", function (e) {
    if (e.target.name) touched[e.target.name] = true;
    later();
  });
  form.addEventListener("focusout", function (e) {
    if (e.target.name) touched[e.target.name] = true;
    later();
  });
  // A page the server sent back with problems shows them all already.
  if (document.querySelector("[data-problem]:not(:empty)")) showAll = true;

  // One tap on 提交: a second one (a slow phone) would only wait again.
  form.addEventListener("submit", function (e) {
    var by = e.submitter;
    if (by && by.id === "submit") {
      setTimeout(function () {
        by.disabled = true;
        by.textContent = "正在提交……";
      }, 0);
    }
  });
})();

// Inside WeChat: PDFs do not open there; say how to open the page in a
// browser.
(function () {
  if (!/MicroMessenger/i.test(navigator.userAgent)) return;
  var hints = document.querySelectorAll(".wechat");
  for (var i = 0; i < hints.length; i++) hints[i].hidden = false;
})();
