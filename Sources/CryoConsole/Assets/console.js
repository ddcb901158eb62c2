// CryoLedger console: progressive enhancement only; every page works without it.
"use strict";
(function () {
  // ISO 7064 MOD 37-2, as printed on the vial labels (CryoDomain/CheckCharacter.swift checks it again on the server).
  var ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*";
  function checkCharacter(body) {
    var p = 0;
    for (var i = 0; i < body.length; i++) {
      var v = ALPHABET.indexOf(body[i]);
      if (v < 0 || v > 35) return null;
      p = ((p + v) * 2) % 37;
    }
    return ALPHABET[(38 - p) % 37];
  }
  function vialProblem(text) {
    var id = text.trim().toUpperCase();
    if (!/^CV[0-9]{10}[0-9A-Z*]$/.test(id)) return "a vial id is CV, ten digits and a check character, e.g. CV0000000001O";
    if (checkCharacter(id.slice(0, -1)) !== id.slice(-1)) return "check character does not match: the id was mistyped or misread";
    return null;
  }
  document.addEventListener("DOMContentLoaded", function () {
    // The scanner is a keyboard: the vial field has the focus unless the page put it elsewhere.
    var scan = document.querySelector("[data-scan]");
    if (scan) {
      var form = scan.form, msg = document.getElementById("scan-msg");
      if (!document.querySelector("[autofocus]") && !document.querySelector("main form input")) scan.focus();
      form.addEventListener("submit", function (event) {
        var problem = vialProblem(scan.value);
        if (problem) { event.preventDefault(); msg.textContent = problem; scan.select(); }
      });
    }
    // Freezer map filters dim the other positions.
    var filter = document.querySelector("[data-map-filter]");
    if (filter) {
      var apply = function () {
        var lot = filter.elements.lot.value.trim().toUpperCase();
        var held = filter.elements.held.checked, empty = filter.elements.empty.checked, soon = filter.elements.soon.checked;
        document.querySelectorAll(".grid .cell").forEach(function (cell) {
          var lotText = cell.querySelector("small") ? cell.querySelector("small").textContent : "";
          var show = (!lot || lotText.toUpperCase().indexOf(lot) >= 0) &&
            (!held || cell.hasAttribute("data-held")) && (!empty || cell.hasAttribute("data-empty")) &&
            (!soon || cell.hasAttribute("data-soon"));
          cell.classList.toggle("dim", !show);
        });
      };
      filter.addEventListener("input", apply);
      filter.addEventListener("submit", function (event) { event.preventDefault(); apply(); });
    }
    document.querySelectorAll("[data-now]").forEach(function (el) { el.textContent = new Date().toISOString().replace("T", " ").slice(0, 19) + " UTC"; });
  });
})();
