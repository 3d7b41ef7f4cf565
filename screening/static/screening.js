/*
 * Progressive enhancement for the questionnaire. Without this script every page still works: the server decides
 * which questions apply when a step is sent. With it, questions that depend on an answer on the same step appear and
 * disappear as the patient answers, and answers to questions that disappear are cleared (they would not count).
 *
 * Conditions arrive as the parsed tree the server checked (data-shown-when), never as code: this file evaluates
 * them with the same null semantics as the rule engine (==, in, has_any are false for null; != is true for null).
 */
(function () {
  "use strict";

  function focusErrorSummary() {
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  }

  function setUpExclusiveCheckboxes(form) {
    // "None of these" cannot be ticked with anything else: ticking one clears the other.
    form.addEventListener("change", function (event) {
      var box = event.target;
      if (box.type !== "checkbox" || !box.checked) {
        return;
      }
      var group = form.querySelectorAll('input[type="checkbox"][name="' + box.name + '"]');
      Array.prototype.forEach.call(group, function (other) {
        if (other !== box && (box.hasAttribute("data-exclusive") || other.hasAttribute("data-exclusive"))) {
          other.checked = false;
        }
      });
    });
  }

  function setUpConditionalQuestions(form) {
    var known = JSON.parse(form.getAttribute("data-known") || "{}");
    var conditional = form.querySelectorAll("[data-shown-when]");
    if (conditional.length === 0) {
      return;
    }

    function wrapperOf(name) {
      return form.querySelector('[data-question="' + name + '"]');
    }

    function answer(name) {
      var wrapper = wrapperOf(name);
      if (!wrapper) {
        return Object.prototype.hasOwnProperty.call(known, name) ? known[name] : null;
      }
      if (wrapper.hidden) {
        return null;
      }
      var inputs = wrapper.querySelectorAll('[name="' + name + '"]');
      if (inputs.length === 0) {
        return null;
      }
      var first = inputs[0];
      if (first.type === "radio") {
        var chosen = wrapper.querySelector('[name="' + name + '"]:checked');
        return chosen ? chosen.value : null;
      }
      if (first.type === "checkbox") {
        var ticked = Array.prototype.filter.call(inputs, function (box) { return box.checked; });
        return ticked.length ? ticked.map(function (box) { return box.value; }) : null;
      }
      return first.value.trim() === "" ? null : first.value;
    }

    function value(name) {
      if (name === "toxin" || name === "filler") {
        if (!wrapperOf("treatment_requested")) {
          return Object.prototype.hasOwnProperty.call(known, name) ? known[name] : false;
        }
        var treatment = answer("treatment_requested");
        return treatment === name || treatment === "both";
      }
      return answer(name);
    }

    function daysBetween(a, b) {
      if (a === null || b === null) {
        return null;
      }
      return Math.round((Date.parse(b + "T00:00:00Z") - Date.parse(a + "T00:00:00Z")) / 86400000);
    }

    function evaluate(node) {
      switch (node[0]) {
        case "name": return value(node[1]);
        case "str": return node[1];
        case "int": return node[1];
        case "null": return null;
        case "and": return node.slice(1).every(function (item) { return Boolean(evaluate(item)); });
        case "or": return node.slice(1).some(function (item) { return Boolean(evaluate(item)); });
        case "not": return !evaluate(node[1]);
        case "in": {
          var got = evaluate(node[1]);
          return got !== null && node[2].indexOf(got) !== -1;
        }
        case "call": {
          if (node[1] === "days_between") {
            return daysBetween(evaluate(node[2]), evaluate(node[3]));
          }
          var chosen = evaluate(node[2]);
          var listed = node.slice(3).map(evaluate);
          if (chosen === null) {
            return false;
          }
          if (node[1] === "has_any") {
            return chosen.some(function (option) { return listed.indexOf(option) !== -1; });
          }
          return chosen.some(function (option) { return listed.indexOf(option) === -1; });  // has_any_except
        }
        case "cmp": {
          var left = evaluate(node[2]);
          var right = evaluate(node[3]);
          switch (node[1]) {
            case "==": return left !== null && left === right;
            case "!=": return left === null || right === null ? left !== right : left !== right;
            case "<": return left !== null && right !== null && left < right;
            case "<=": return left !== null && right !== null && left <= right;
            case ">": return left !== null && right !== null && left > right;
            case ">=": return left !== null && right !== null && left >= right;
          }
        }
      }
      return false;
    }

    function clear(wrapper) {
      Array.prototype.forEach.call(wrapper.querySelectorAll("input, textarea"), function (input) {
        if (input.type === "radio" || input.type === "checkbox") {
          input.checked = false;
        } else {
          input.value = "";
        }
      });
    }

    function update() {
      // In form order, so a question hidden above counts as unanswered for those below it.
      Array.prototype.forEach.call(conditional, function (wrapper) {
        var shown = Boolean(evaluate(JSON.parse(wrapper.getAttribute("data-shown-when"))));
        if (!shown && !wrapper.hidden) {
          clear(wrapper);
        }
        wrapper.hidden = !shown;
      });
    }

    Array.prototype.forEach.call(form.querySelectorAll("[data-nojs-hint]"), function (hint) {
      hint.hidden = true;
    });
    form.addEventListener("change", update);
    form.addEventListener("input", update);
    update();
  }

  // A "Copy link" button for the private link (progressive enhancement: without script the link is plain,
  // selectable text and the button stays hidden).
  function words(element, name, english) {
    return (element && element.getAttribute("data-" + name)) || english;
  }

  function setUpCopyButtons() {
    Array.prototype.forEach.call(document.querySelectorAll("button[data-copy]"), function (button) {
      var source = document.getElementById(button.getAttribute("data-copy"));
      var status = document.querySelector("[data-copy-status]");
      if (!source) {
        return;
      }
      function say(text) {
        if (status) {
          status.textContent = text;
        }
      }
      function selectSource() {
        var range = document.createRange();
        range.selectNodeContents(source);
        var selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
      }
      function fallback() {
        selectSource();
        var copied = false;
        try {
          copied = document.execCommand("copy");
        } catch (error) {
          copied = false;
        }
        say(copied ? words(status, "copied", "Link copied.") : words(status, "selected", "The link is selected: copy it with your device's copy command."));
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        var text = source.textContent.trim();
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(text).then(function () {
            say(words(status, "copied", "Link copied."));
          }, fallback);
        } else {
          fallback();
        }
      });
    });
  }

  // A count of what is left beside each free-text box (data-maxlength; no maxlength, which cuts a pasted text
  // without a word). Over the limit the count says by how much; the server refuses it with the text kept.
  function setUpCharacterCounts() {
    Array.prototype.forEach.call(document.querySelectorAll("textarea[data-maxlength]"), function (box) {
      var count = document.querySelector('[data-count-for="' + box.id + '"]');
      var limit = parseInt(box.getAttribute("data-maxlength"), 10);
      if (!count || !limit) {
        return;
      }
      var timer = null;
      function length() {
        // As the server counts: code points, one per line break, without the spaces around the text.
        return Array.from(box.value.replace(/\r\n?/g, "\n").trim()).length;
      }
      function show() {
        var left = limit - length();
        var over = left < 0;
        var n = Math.abs(left);
        // The words come from the page, in the page's language (data-one-left, data-many-left, data-one-over,
        // data-many-over, with {n} for the number); English when a page gives none.
        var key = (n === 1 ? "one" : "many") + (over ? "Over" : "Left");
        var english = {
          oneLeft: "You have {n} character remaining",
          manyLeft: "You have {n} characters remaining",
          oneOver: "You have {n} character too many",
          manyOver: "You have {n} characters too many"
        };
        var lang = document.documentElement.getAttribute("lang") || "en-GB";
        count.textContent = (count.dataset[key] || english[key]).replace("{n}", n.toLocaleString(lang));
        count.classList.toggle("character-count--over", over);
      }
      show();
      box.addEventListener("input", function () {
        // Announced once typing pauses, not at every key.
        window.clearTimeout(timer);
        timer = window.setTimeout(show, 400);
      });
    });
  }

  function setUpKioskIdle() {
    // On a reception tablet (screening/web/kiosk.py): back to the start page when nobody has used it for
    // KIOSK_IDLE_SECONDS, so the next person sees nothing of the last. The server wipes the screening at that
    // request whatever this script does; this only takes the tablet there. The time counts from the page's load or
    // from the server's answer to "still here", never from a moment the server has not seen, so the tablet is never
    // sent to the start page before the server agrees. Using the page (a key, a tap) says "still here" at most
    // every third of the idle time (a patient typing a long answer is not wiped), and for the last 20 seconds a
    // warning asks "Are you still there?" with a button to say so.
    var body = document.body;
    var idle = parseInt(body.getAttribute("data-kiosk-idle") || "", 10);
    if (!idle || idle <= 0) {
      return;
    }
    var startUrl = body.getAttribute("data-kiosk-start");
    var ping = body.getAttribute("data-kiosk-ping");
    var warning = document.querySelector("[data-kiosk-warning]");
    var countdown = document.querySelector("[data-kiosk-countdown]");
    var stillHere = document.querySelector("[data-kiosk-still-here]");
    var warnFor = Math.min(20, Math.floor(idle / 2));
    var tellEvery = Math.min(15000, (idle * 1000) / 3);
    var seenByServer = Date.now();
    var lastTold = 0;
    var leaving = false;

    function tellTheServer() {
      lastTold = Date.now();
      if (!window.fetch) {
        return;
      }
      window
        .fetch(ping, { credentials: "same-origin", cache: "no-store" })
        .then(function (answer) {
          if (answer.ok) {
            seenByServer = Date.now();
            if (warning) {
              warning.hidden = true;
            }
          }
        })
        .catch(function () {});
    }

    function tick() {
      var left = idle - (Date.now() - seenByServer) / 1000;
      if (left <= -1) {
        if (!leaving) {
          leaving = true;
          window.location.replace(startUrl);
        }
        return;
      }
      if (warning && left <= warnFor) {
        countdown.textContent = String(Math.max(0, Math.ceil(left)));
        warning.hidden = false;
      }
    }

    ["keydown", "pointerdown", "input"].forEach(function (name) {
      document.addEventListener(name, function () {
        if (Date.now() - lastTold >= tellEvery) {
          tellTheServer();
        }
      });
    });
    if (stillHere) {
      stillHere.addEventListener("click", tellTheServer);
    }
    window.setInterval(tick, 250);
  }

  function start() {
    setUpKioskIdle();
    focusErrorSummary();
    setUpCopyButtons();
    setUpCharacterCounts();
    var form = document.querySelector("form[data-questionnaire-step]");
    if (form) {
      setUpExclusiveCheckboxes(form);
      setUpConditionalQuestions(form);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
