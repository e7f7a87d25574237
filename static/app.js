// LAUF OS: the little JavaScript the pages need, loaded under a strict CSP
// (no inline scripts, no eval). Everything works without it.
(function () {
  "use strict";

  // htmx leaves error responses unswapped. A form that failed validation (422)
  // re-renders in place; any other error shows its fragment in the flash area.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var status = event.detail.xhr.status;
    if (status === 422) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    } else if (status >= 400) {
      var flash = document.getElementById("flash");
      if (flash) {
        event.detail.shouldSwap = true;
        event.detail.isError = false;
        event.detail.target = flash;
        event.detail.swapOverride = "innerHTML";
      }
    }
  });

  document.addEventListener("htmx:sendError", function () {
    var flash = document.getElementById("flash");
    if (flash) {
      flash.textContent = "The server cannot be reached. Check your connection and try again.";
      flash.className = "flash-area flash flash-error";
    }
  });

  // Uploads: show progress while the files travel (htmx's upload progress event).
  document.addEventListener("htmx:xhr:progress", function (event) {
    var form = event.target.closest ? event.target.closest("form") : null;
    var bar = form && form.querySelector(".upload-progress");
    if (!bar || !event.detail.lengthComputable) return;
    bar.hidden = false;
    bar.value = Math.round((event.detail.loaded / event.detail.total) * 100);
    bar.textContent = bar.value + "%";
  });

  // Uploads: files dropped on an upload form go into its file input.
  function uploadForm(event) {
    if (carried) return null;
    return event.target.closest ? event.target.closest(".upload-form") : null;
  }
  document.addEventListener("dragover", function (event) {
    var form = uploadForm(event);
    if (!form) return;
    event.preventDefault();
    form.classList.add("is-dragging");
  });
  document.addEventListener("dragleave", function (event) {
    var form = uploadForm(event);
    if (form && !form.contains(event.relatedTarget)) form.classList.remove("is-dragging");
  });
  document.addEventListener("drop", function (event) {
    var form = uploadForm(event);
    if (!form || !event.dataTransfer || !event.dataTransfer.files.length) return;
    event.preventDefault();
    form.classList.remove("is-dragging");
    var input = form.querySelector("input[type=file]");
    if (input) input.files = event.dataTransfer.files;
  });

  // Block menus (<details>): one open at a time; Escape or a click elsewhere closes.
  function closeMenus(except) {
    document.querySelectorAll("details.block-menu[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }
  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (menu.matches && menu.matches("details.block-menu") && menu.open) {
      closeMenus(menu);
      var first = menu.querySelector(".menu-item");
      if (first && menu.dataset.keyboard === "1") first.focus();
      delete menu.dataset.keyboard;
    }
  }, true);
  document.addEventListener("click", function (event) {
    var inside = event.target.closest ? event.target.closest("details.block-menu") : null;
    closeMenus(inside);
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    var open = document.querySelector("details.block-menu[open]");
    if (!open) return;
    open.removeAttribute("open");
    var summary = open.querySelector("summary");
    if (summary) summary.focus();
  });

  // The block editor opens beside the plan on a wide screen but far below it on a
  // phone: bring it to where the person is looking, focus in its first field.
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "editor" || !target.querySelector("form")) return;
    var field = target.querySelector("input:not([type=hidden]), select, textarea");
    var rect = target.getBoundingClientRect();
    if (rect.top < 0 || rect.top > window.innerHeight * 0.6) {
      target.scrollIntoView({ block: "start" });
    }
    if (field) field.focus({ preventScroll: true });
  });

  // Keyboard shortcuts (the list is the #shortcuts dialog; `?` opens it). Never
  // taken from a text field, a select or with Ctrl/Alt/Meta held.
  var selectedId = null;
  function typing(target) {
    if (!target || !target.closest) return false;
    return !!target.closest("input, textarea, select, [contenteditable=''], [contenteditable=true]");
  }
  function dayBlocks() {
    return Array.prototype.slice.call(document.querySelectorAll("#day-plan .block[data-block]"));
  }
  function selectBlock(block) {
    dayBlocks().forEach(function (b) { b.classList.remove("is-selected"); });
    if (!block) { selectedId = null; return; }
    selectedId = block.id;
    block.classList.add("is-selected");
    block.focus();
  }
  function selected() {
    return selectedId ? document.getElementById(selectedId) : null;
  }
  function press(el) {
    if (!el) return false;
    el.click();
    return true;
  }
  // A swap of the plan replaces the blocks: keep the selection on the same block.
  document.addEventListener("htmx:afterSettle", function () {
    var block = selected();
    if (block) {
      block.classList.add("is-selected");
      if (!document.activeElement || document.activeElement === document.body) block.focus();
    }
  });
  document.addEventListener("focusin", function (event) {
    var block = event.target.closest ? event.target.closest("#day-plan .block[data-block]") : null;
    if (block && block.id !== selectedId) {
      dayBlocks().forEach(function (b) { b.classList.remove("is-selected"); });
      selectedId = block.id;
      block.classList.add("is-selected");
    }
  });
  // The command palette (Ctrl/⌘-K or `/`): search and go to anything. Without
  // JavaScript its link is the /search page.
  function openPalette() {
    var palette = document.getElementById("palette");
    if (!palette || palette.open) return false;
    var input = palette.querySelector("input");
    input.value = "";
    palette.showModal();
    input.focus();
    input.dispatchEvent(new Event("search"));
    return true;
  }
  function paletteHits() {
    return Array.prototype.slice.call(document.querySelectorAll("#palette-results .palette-hit"));
  }
  document.addEventListener("keydown", function (event) {
    if ((event.ctrlKey || event.metaKey) && !event.altKey && (event.key === "k" || event.key === "K")) {
      if (openPalette()) event.preventDefault();
      return;
    }
    var palette = document.getElementById("palette");
    if (!palette || !palette.open) return;
    var hits = paletteHits();
    var at = hits.indexOf(document.activeElement);
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      if (!hits.length) return;
      var next = event.key === "ArrowDown" ? at + 1 : at - 1;
      if (next < 0) palette.querySelector("input").focus();
      else hits[Math.min(next, hits.length - 1)].focus();
      event.preventDefault();
    } else if (event.key === "Enter" && event.target.id === "palette-q" && hits.length) {
      event.preventDefault();
      window.location.href = hits[0].getAttribute("href");
    }
  });
  document.addEventListener("click", function (event) {
    var opener = event.target.closest ? event.target.closest("[data-open-palette]") : null;
    if (opener && openPalette()) event.preventDefault();
    var palette = document.getElementById("palette");
    // A click on the backdrop (the dialog itself, outside its box) closes it.
    if (palette && event.target === palette) palette.close();
  });

  var goTo = { "w": "/command/calendar", "g": "/command/goals", "c": "/clients", "p": "/projects", ".": "/" };
  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    var dialog = document.getElementById("shortcuts");
    if (dialog && dialog.open) return;
    var palette = document.getElementById("palette");
    if (palette && palette.open) return;
    var key = event.key;
    var handled = false;
    if (key === "/") {
      handled = openPalette();
    } else if (key === "?") {
      if (dialog) { dialog.showModal(); handled = true; }
    } else if (key === "u") {
      handled = press(document.querySelector("#flash .undo-form button"));
    } else if (key === "j" || key === "k") {
      var blocks = dayBlocks();
      if (blocks.length) {
        var at = blocks.indexOf(selected());
        var next = at < 0 ? (key === "j" ? 0 : blocks.length - 1)
          : Math.max(0, Math.min(blocks.length - 1, at + (key === "j" ? 1 : -1)));
        selectBlock(blocks[next]);
        handled = true;
      }
    } else if (goTo[key] && document.querySelector(".topbar")) {
      window.location.href = goTo[key];
      handled = true;
    } else if (key === "n" || key === "[" || key === "]" || key === "P") {
      handled = press(document.querySelector('[data-key="' + key + '"]'));
    } else if (selected()) {
      var block = selected();
      if (key === "x") handled = press(block.querySelector('[data-key="x"]'));
      else if (key === "s") handled = press(block.querySelector('[data-key="s"]'));
      else if (key === "t") handled = press(block.querySelector('[data-key="t"]'));
      else if (key === "e" || (key === "Enter" && event.target === block)) handled = press(block.querySelector('[data-key="e"]'));
      else if (key === "Delete" || key === "#") handled = press(block.querySelector('[data-key="Delete"]'));
      else if (key === "m") {
        var menu = block.querySelector("details.block-menu");
        if (menu) { menu.dataset.keyboard = "1"; menu.open = true; handled = true; }
      }
    }
    if (handled) event.preventDefault();
  });
  document.addEventListener("click", function (event) {
    var opener = event.target.closest ? event.target.closest("[data-open-shortcuts]") : null;
    var dialog = document.getElementById("shortcuts");
    if (opener && dialog) dialog.showModal();
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-open-shortcuts]").forEach(function (b) { b.hidden = false; });
  });

  // A status message steps aside after a few seconds (it was announced already);
  // one with Undo stays while Undo works (a minute on the server).
  function armUndo() {
    document.querySelectorAll("#flash .notice").forEach(function (notice) {
      if (notice.dataset.armed) return;
      notice.dataset.armed = "1";
      var undo = notice.querySelector("form[data-undo-expires]");
      var life = undo ? Number(undo.dataset.undoExpires) * 1000 - 2000 : 8000;
      setTimeout(function () {
        if (notice.contains(document.activeElement)) return;
        notice.remove();
      }, life);
    });
  }
  // It never stands in the way: a press anywhere else puts it away (it was
  // announced already; the action's result is on the page).
  document.addEventListener("pointerdown", function (event) {
    if (event.target.closest && event.target.closest("#flash")) return;
    document.querySelectorAll("#flash .notice").forEach(function (notice) { notice.remove(); });
  }, true);
  document.addEventListener("DOMContentLoaded", function () { armUndo(); });
  document.addEventListener("htmx:oobAfterSwap", function () { armUndo(); });
  document.addEventListener("htmx:afterSettle", function () { armUndo(); });

  // Moving blocks by hand: drag a block on the day's timeline to a new start (15
  // minute steps) or its lower edge to a new length; drag a block in the week to
  // another day (or onto "‹ Previous week"/"Next week ›"). Each posts the same
  // move the forms do and swaps the same fragment. Keyboard: Alt+↑/↓ moves the
  // selected block 15 minutes, Alt+Shift+↑/↓ changes its length, Alt+←/→ its day.
  document.documentElement.classList.add("js");
  var STEP = 15;
  function hhmm(minutes) {
    var h = Math.floor(minutes / 60), m = minutes % 60;
    return (h < 10 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m;
  }
  function minutesOf(text) {
    var parts = (text || "").split(":");
    return Number(parts[0]) * 60 + Number(parts[1]);
  }
  function shiftDate(iso, days) {
    var d = new Date(iso + "T12:00:00Z");
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  }
  function moveBlock(source, values, target) {
    if (!window.htmx) return;
    var holder = source.closest("[data-return]");
    values.return_to = holder ? holder.dataset.return : "/";
    window.htmx.ajax("POST", "/tasks/" + source.dataset.block + "/move",
      { source: source, target: target, swap: "outerHTML", values: values });
  }
  function pxPerMinute(timeline, block) {
    var hours = timeline.querySelectorAll(".hour");
    if (hours.length > 1) {
      var gap = hours[1].getBoundingClientRect().top - hours[0].getBoundingClientRect().top;
      if (gap > 0) return gap / 60;
    }
    return block.getBoundingClientRect().height / Number(block.dataset.minutes);
  }
  var drag = null;
  // On a touch screen a finger scrolls the page: a block is picked up by holding
  // it still for a moment (its lower edge, the resize handle, at once).
  var HOLD_MS = 350;
  var held = null;
  function dropHold() {
    if (held) clearTimeout(held.timer);
    held = null;
  }
  document.addEventListener("pointerdown", function (event) {
    if (event.button !== 0 || !event.target.closest) return;
    var block = event.target.closest(".timeline .block[data-start]");
    if (!block || event.target.closest("button, a, summary, input, select, .menu-panel")) return;
    var timeline = block.closest(".timeline");
    var start = {
      block: block,
      resize: !!event.target.closest(".resize-handle"),
      y: event.clientY,
      start: minutesOf(block.dataset.start),
      minutes: Number(block.dataset.minutes),
      scale: pxPerMinute(timeline, block),
      day: timeline.dataset.day,
      moved: false,
      touch: event.pointerType === "touch",
      label: block.querySelector(".block-time"),
      text: block.querySelector(".block-time") ? block.querySelector(".block-time").textContent : ""
    };
    if (!start.touch || start.resize) {
      drag = start;
      return;
    }
    dropHold();
    held = {
      x: event.clientX,
      y: event.clientY,
      timer: setTimeout(function () {
        held = null;
        drag = start;
        block.classList.add("is-held");
      }, HOLD_MS)
    };
  });
  // A finger that moves before the hold is scrolling: no drag.
  document.addEventListener("pointermove", function (event) {
    if (held && Math.abs(event.clientY - held.y) + Math.abs(event.clientX - held.x) > 8) dropHold();
  });
  document.addEventListener("pointerup", dropHold);
  document.addEventListener("pointercancel", dropHold);
  // Once a block is held, the finger moves it, not the page.
  document.addEventListener("touchmove", function (event) {
    if ((drag && drag.touch) || weekHeld) event.preventDefault();
  }, { passive: false });
  document.addEventListener("contextmenu", function (event) {
    if (held || (drag && drag.touch) || weekHeld) event.preventDefault();
  });
  function dragged(d, event) {
    var steps = Math.round((event.clientY - d.y) / d.scale / STEP) * STEP;
    if (d.resize) {
      var length = Math.max(STEP, Math.min(720, d.minutes + steps));
      length = Math.min(length, 24 * 60 - d.start);
      return { start: d.start, minutes: length };
    }
    var start = Math.max(0, Math.min(24 * 60 - d.minutes, d.start + steps));
    return { start: start, minutes: d.minutes };
  }
  document.addEventListener("pointermove", function (event) {
    if (!drag) return;
    var dy = event.clientY - drag.y;
    if (!drag.moved && Math.abs(dy) < 6) return;
    if (drag.touch) autoScroll(event.clientY);
    if (!drag.moved) {
      drag.moved = true;
      drag.block.classList.add("is-dragging");
      drag.block.setPointerCapture && drag.block.setPointerCapture(event.pointerId);
    }
    event.preventDefault();
    var at = dragged(drag, event);
    if (drag.resize) {
      drag.block.style.height = at.minutes * drag.scale + "px";
    } else {
      drag.block.style.transform = "translateY(" + (at.start - drag.start) * drag.scale + "px)";
    }
    if (drag.label) drag.label.textContent = hhmm(at.start) + "–" + hhmm((at.start + at.minutes) % (24 * 60));
  });
  function endDrag(event, cancelled) {
    if (!drag) return;
    var d = drag;
    drag = null;
    d.block.classList.remove("is-held");
    if (!d.moved) return;
    d.block.classList.remove("is-dragging");
    var at = dragged(d, event);
    var changed = at.start !== d.start || at.minutes !== d.minutes;
    if (cancelled || !changed) {
      d.block.style.transform = "";
      d.block.style.height = "";
      if (d.label) d.label.textContent = d.text;
      return;
    }
    // Swallow the click that ends a drag, so no button under it fires.
    document.addEventListener("click", function swallow(e) { e.stopPropagation(); e.preventDefault(); document.removeEventListener("click", swallow, true); }, true);
    var values = { date: d.day, time: hhmm(at.start) };
    if (at.minutes !== d.minutes) values.minutes = String(at.minutes);
    moveBlock(d.block, values, "#day-plan");
  }
  document.addEventListener("pointerup", function (event) { endDrag(event, false); });
  document.addEventListener("pointercancel", function (event) { endDrag(event, true); });

  // A finger near the top or bottom of the screen scrolls the page along.
  function autoScroll(y) {
    var edge = 48;
    if (y < edge) window.scrollBy(0, -12);
    else if (y > window.innerHeight - edge) window.scrollBy(0, 12);
  }

  // Boards whose cards move between columns: the week (a block to another day,
  // or onto "‹ Previous week"/"Next week ›") and the project pipeline (a card to
  // another stage). A mouse drags (HTML drag and drop); a finger holds the card a
  // moment, then moves it (phones have no HTML drag and drop). Each drop posts
  // the same move the card's own form does and swaps the same fragment.
  function moveProject(card, stage) {
    if (!window.htmx || stage === card.dataset.stage) return;
    var back = card.querySelector("input[name=return_to]");
    window.htmx.ajax("POST", "/projects/" + card.dataset.project + "/move",
      { source: card, target: "#pipeline", swap: "outerHTML",
        values: { to: stage, return_to: back ? back.value : "/projects" } });
  }
  var boards = [
    {
      card: ".week-block[data-block]",
      target: ".week-col[data-date], [data-drop-shift]",
      drop: function (card, target) {
        var date = target.dataset.date || shiftDate(card.dataset.date, Number(target.dataset.dropShift));
        if (date !== card.dataset.date) moveBlock(card, { date: date, keep_time: "keep" }, "#week-grid");
      }
    },
    {
      card: ".pipe-card[data-project]",
      target: ".pipe-col[data-stage]",
      drop: function (card, target) { moveProject(card, target.dataset.stage); }
    }
  ];
  function boardOf(el) {
    if (!el || !el.closest) return null;
    for (var i = 0; i < boards.length; i++) {
      var card = el.closest(boards[i].card);
      if (card) return { board: boards[i], card: card };
    }
    return null;
  }
  var carried = null;
  document.addEventListener("dragstart", function (event) {
    var found = boardOf(event.target);
    if (!found) return;
    carried = found;
    event.dataTransfer.effectAllowed = "move";
    event.dataTransfer.setData("text/plain", found.card.id);
    found.card.classList.add("is-dragging");
  });
  function dropTarget(event) {
    if (!carried || !event.target.closest) return null;
    return event.target.closest(carried.board.target);
  }
  function clearTargets() {
    document.querySelectorAll(".is-drop-target").forEach(function (t) { t.classList.remove("is-drop-target"); });
  }
  document.addEventListener("dragover", function (event) {
    var target = dropTarget(event);
    if (!target) return;
    event.preventDefault();
    document.querySelectorAll(".is-drop-target").forEach(function (t) { if (t !== target) t.classList.remove("is-drop-target"); });
    target.classList.add("is-drop-target");
  });
  document.addEventListener("dragend", function () {
    if (carried) carried.card.classList.remove("is-dragging");
    carried = null;
    clearTargets();
  });
  document.addEventListener("drop", function (event) {
    var target = dropTarget(event);
    if (!target) return;
    event.preventDefault();
    var found = carried;
    clearTargets();
    found.board.drop(found.card, target);
  });

  // The same by touch: hold, move, let go.
  var weekHeld = null;
  var weekHold = null;
  function dropWeekHold() {
    if (weekHold) clearTimeout(weekHold.timer);
    weekHold = null;
  }
  function targetAt(board, x, y) {
    var under = document.elementFromPoint(x, y);
    return under && under.closest ? under.closest(board.target) : null;
  }
  document.addEventListener("pointerdown", function (event) {
    if (event.pointerType !== "touch") return;
    var found = boardOf(event.target);
    if (!found || event.target.closest("button, a, select, input, label")) return;
    dropWeekHold();
    weekHold = {
      x: event.clientX,
      y: event.clientY,
      timer: setTimeout(function () {
        weekHold = null;
        weekHeld = { board: found.board, card: found.card, x: event.clientX, y: event.clientY, target: null };
        found.card.classList.add("is-held", "is-dragging");
      }, HOLD_MS)
    };
  });
  document.addEventListener("pointermove", function (event) {
    if (weekHold && Math.abs(event.clientY - weekHold.y) + Math.abs(event.clientX - weekHold.x) > 8) dropWeekHold();
    if (!weekHeld) return;
    event.preventDefault();
    autoScroll(event.clientY);
    weekHeld.card.style.transform = "translate(" + (event.clientX - weekHeld.x) + "px," + (event.clientY - weekHeld.y) + "px)";
    weekHeld.card.style.pointerEvents = "none";
    var target = targetAt(weekHeld.board, event.clientX, event.clientY);
    if (weekHeld.target && weekHeld.target !== target) weekHeld.target.classList.remove("is-drop-target");
    if (target) target.classList.add("is-drop-target");
    weekHeld.target = target;
  });
  function endWeekHold(event, cancelled) {
    dropWeekHold();
    if (!weekHeld) return;
    var h = weekHeld;
    weekHeld = null;
    h.card.classList.remove("is-held", "is-dragging");
    h.card.style.transform = "";
    h.card.style.pointerEvents = "";
    var target = cancelled ? null : targetAt(h.board, event.clientX, event.clientY);
    clearTargets();
    if (target) h.board.drop(h.card, target);
  }
  document.addEventListener("pointerup", function (event) { endWeekHold(event, false); });
  document.addEventListener("pointercancel", function (event) { endWeekHold(event, true); });

  // The keyboard's way to do the same with the selected block.
  document.addEventListener("keydown", function (event) {
    if (!event.altKey || event.ctrlKey || event.metaKey || typing(event.target)) return;
    var block = selected();
    if (!block || !block.dataset.date) return;
    var key = event.key, values = null;
    var start = block.dataset.start ? minutesOf(block.dataset.start) : null;
    var minutes = Number(block.dataset.minutes);
    if ((key === "ArrowUp" || key === "ArrowDown") && start !== null) {
      var delta = key === "ArrowUp" ? -STEP : STEP;
      if (event.shiftKey) {
        var length = minutes + delta;
        if (length >= STEP && start + length <= 24 * 60) values = { date: block.dataset.date, time: block.dataset.start, minutes: String(length) };
      } else if (start + delta >= 0 && start + delta + minutes <= 24 * 60) {
        values = { date: block.dataset.date, time: hhmm(start + delta) };
      }
    } else if (key === "ArrowLeft" || key === "ArrowRight") {
      values = { date: shiftDate(block.dataset.date, key === "ArrowLeft" ? -1 : 1), keep_time: "keep" };
    }
    if (!values) return;
    event.preventDefault();
    moveBlock(block, values, "#day-plan");
  });

  // Sign-up: preselect the browser's own time zone if the list has it.
  document.addEventListener("DOMContentLoaded", function () {
    var select = document.querySelector("select[data-detect-timezone]");
    if (!select || !window.Intl) return;
    var zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    for (var i = 0; i < select.options.length; i++) {
      if (select.options[i].value === zone || select.options[i].text === zone) {
        select.selectedIndex = i;
        break;
      }
    }
  });
})();
