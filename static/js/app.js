// Adhere's page script. No dependencies and no eval: the Content-Security-Policy
// allows scripts from our own origin only. Pages work without it.
(function () {
  "use strict";

  // Idle logoff. The server signs out a session that has been idle for
  // SESSION_IDLE_TIMEOUT (accounts.middleware) and puts the seconds in
  // <body data-idle-logoff>. Reloading a little after that time takes the
  // health data off an unattended screen: the reload lands on the sign-in
  // page. Every htmx request is activity, so it starts the count again.
  function setUpIdleLogoff() {
    var seconds = parseInt(document.body.dataset.idleLogoff, 10);
    if (!(seconds > 0)) {
      return;
    }
    var delay = Math.min((seconds + 5) * 1000, 2147483647); // setTimeout's limit
    var deadline = 0;
    var timer = null;

    function restart() {
      window.clearTimeout(timer);
      deadline = Date.now() + delay;
      timer = window.setTimeout(reload, delay);
    }

    function reload() {
      window.location.reload();
    }

    restart();
    document.body.addEventListener("htmx:afterRequest", restart);
    // A phone that slept, or a tab in the background, may hold the timer
    // back: check the clock as soon as the page is seen again.
    document.addEventListener("visibilitychange", function () {
      if (document.visibilityState === "visible" && Date.now() >= deadline) {
        reload();
      }
    });
  }

  // The account menu is a <details> and works without this; here it also
  // closes on Escape (focus back on its button) and on a click elsewhere,
  // so that an open menu does not stay over the page.
  function setUpMenus() {
    document.addEventListener("keydown", function (event) {
      if (event.key !== "Escape") {
        return;
      }
      var menu = document.activeElement && document.activeElement.closest("details.menu[open]");
      if (menu) {
        menu.open = false;
        menu.querySelector("summary").focus();
      }
    });
    document.addEventListener("click", function (event) {
      document.querySelectorAll("details.menu[open]").forEach(function (menu) {
        if (!menu.contains(event.target)) {
          menu.open = false;
        }
      });
    });
  }

  // In a .table-stack box a phone shows each row as a card (app.css). Each
  // cell gets its column heading in data-label, which the CSS shows beside
  // it, since the table's own heading row is then hidden.
  function labelStackedTables(root) {
    root.querySelectorAll(".table-stack table").forEach(function (table) {
      var headings = Array.prototype.map.call(table.querySelectorAll("thead th"), function (th) {
        return th.textContent.trim();
      });
      table.querySelectorAll("tbody tr").forEach(function (row) {
        Array.prototype.forEach.call(row.cells, function (cell, index) {
          if (headings[index]) {
            cell.dataset.label = headings[index];
          }
        });
      });
    });
  }

  // A time-zone <select> left empty gets the zone this device uses, so
  // that most people only confirm it (patients' doses follow that zone).
  function proposeBrowserTimeZone() {
    var zone;
    try {
      zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (error) {
      return;
    }
    document.querySelectorAll("select[data-propose-browser-zone]").forEach(function (select) {
      if (zone && !select.value && select.querySelector('option[value="' + zone + '"]')) {
        select.value = zone;
      }
    });
  }

  // A group marked data-shown-when="kind=scheduled tapering" shows only
  // while the radio button named "kind" has one of those values (the
  // patient's questions at onboarding, the parts of the medication form).
  // Without this script every group shows, and the server asks what it needs.
  function showGroupsForChoices() {
    document.querySelectorAll("[data-shown-when]").forEach(function (group) {
      var rule = group.dataset.shownWhen.split("=");
      var name = rule[0];
      var values = rule[1].split(" ");
      var radios = document.querySelectorAll('input[type="radio"][name="' + name + '"]');
      if (!radios.length) {
        return;
      }
      function update() {
        var checked = document.querySelector('input[type="radio"][name="' + name + '"]:checked');
        group.hidden = !!checked && values.indexOf(checked.value) === -1;
      }
      radios.forEach(function (radio) {
        radio.addEventListener("change", update);
      });
      update();
    });
  }

  // After a dose row is swapped in place, the button that was pressed is
  // gone: focus moves to the new row and its new state is read out.
  function announceSwappedRows() {
    document.body.addEventListener("htmx:afterSwap", function (event) {
      // With an outerHTML swap the new row has the old one's id.
      var id = event.detail.target && event.detail.target.id;
      var row = id ? document.getElementById(id) : null;
      if (!row || !row.dataset.announce) {
        return;
      }
      row.focus();
      var live = document.getElementById("live-status");
      if (live) {
        live.textContent = row.dataset.announce;
      }
    });
  }

  // A form that came back with mistakes starts at its list of them.
  function focusErrorSummary() {
    var summary = document.querySelector("[data-focus-on-load]");
    if (summary) {
      summary.focus();
    }
  }

  setUpIdleLogoff();
  focusErrorSummary();
  announceSwappedRows();
  proposeBrowserTimeZone();
  showGroupsForChoices();
  setUpMenus();
  labelStackedTables(document);
  document.addEventListener("htmx:load", function (event) {
    labelStackedTables(event.detail.elt);
  });
})();
