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
    } else if (key === "n" || key === "[" || key === "]") {
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
  document.addEventListener("DOMContentLoaded", function () { armUndo(); });
  document.addEventListener("htmx:oobAfterSwap", function () { armUndo(); });
  document.addEventListener("htmx:afterSettle", function () { armUndo(); });

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
