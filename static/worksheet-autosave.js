// Autosave for a worksheet form: a progressive enhancement. Without JavaScript the "Save draft"
// button posts the form as usual. With it, a draft is saved a few seconds after typing stops
// (PUT to the JSON API with the revision it was based on) and the page says "Saved at 14:02" in
// the learner's time zone. Nothing typed is ever changed or removed here: after a conflict
// (409) autosave stops and says so, and the learner saves with the button.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form || !window.fetch) return;
  var status = form.querySelector(".autosave-status");
  var revision = form.querySelector("input[name=revision]");
  var token = form.querySelector("input[name=csrf_token]").value;
  var zone = form.getAttribute("data-time-zone") || undefined;
  var timer = null;
  var stopped = false;
  var DELAY = 2500;

  function say(text) { status.textContent = text; }

  function answers() {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      var name = el.name || "";
      if (name.indexOf("answers.") !== 0) return;
      var id = name.slice("answers.".length);
      if (el.type === "checkbox") {
        out[id] = el.checked ? true : null;
      } else if (el.type === "radio") {
        if (el.checked) out[id] = el.value;
        else if (!(id in out)) out[id] = null;
      } else if (el.getAttribute("data-kind") === "list") {
        var items = el.value.split("\n").map(function (l) { return l.trim(); }).filter(Boolean);
        out[id] = items.length ? items : null;
      } else {
        out[id] = el.value.trim() ? el.value : null;
      }
    });
    return out;
  }

  function savedAt(iso) {
    var time = new Date(iso).toLocaleTimeString([], {
      hour: "2-digit", minute: "2-digit", hourCycle: "h23", timeZone: zone
    });
    return "Saved at " + time;
  }

  function save() {
    timer = null;
    if (stopped) return;
    var body = JSON.stringify({ revision: Number(revision.value), answers: answers() });
    fetch(form.getAttribute("data-autosave"), {
      method: "PUT",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRF-Token": token },
      body: body
    }).then(function (response) {
      if (response.status === 409) {
        stopped = true;
        say("This worksheet was saved from somewhere else. Your text here is kept but not " +
            "saved yet: use \u201cSave draft\u201d to see both and keep yours.");
        return null;
      }
      if (response.status === 422) {
        say("Not saved yet: an answer needs a look. Use \u201cSave draft\u201d to see which.");
        return null;
      }
      if (!response.ok) throw new Error(String(response.status));
      return response.json();
    }).then(function (saved) {
      if (!saved) return;
      revision.value = String(saved.revision);
      if (saved.saved_at) say(savedAt(saved.saved_at));
    }).catch(function () {
      say("Not saved yet. We will try again when you next type, or use \u201cSave draft\u201d.");
    });
  }

  form.addEventListener("input", function () {
    if (stopped) return;
    if (timer) clearTimeout(timer);
    timer = setTimeout(save, DELAY);
  });
})();
