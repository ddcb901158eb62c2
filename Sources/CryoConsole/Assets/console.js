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
  // A scanner may add a CR, Tab or space and may send lowercase: the id is what is left (ScanText on the server).
  function cleanScan(text) { return text.replace(/^[\s\u0000-\u001f\u007f]+|[\s\u0000-\u001f\u007f]+$/g, "").toUpperCase(); }
  function vialProblem(text) {
    var id = cleanScan(text);
    if (!/^CV[0-9]{10}[0-9A-Z*]$/.test(id)) return "a vial id is CV, ten digits and a check character, e.g. CV0000000001O";
    if (checkCharacter(id.slice(0, -1)) !== id.slice(-1)) return "check character does not match: the id was mistyped or misread";
    return null;
  }
  document.addEventListener("DOMContentLoaded", function () {
    // A refused form: its summary at the top takes the focus, so the reader starts where the problem is said.
    var refusal = document.getElementById("refusal-summary");
    if (refusal) refusal.focus();
    // The scanner is a keyboard: the vial field has the focus unless the page put it elsewhere.
    var scan = document.querySelector("[data-scan]");
    if (scan) {
      var form = scan.form, msg = document.getElementById("scan-msg");
      if (!refusal && !document.querySelector("[autofocus]") && !document.querySelector("main form input")) scan.focus();
      form.addEventListener("submit", function (event) {
        var problem = vialProblem(scan.value);
        if (problem) { event.preventDefault(); msg.textContent = problem; scan.select(); }
      });
    }
    // Every scan field forgives the scanner: cleaned before it is sent; a Tab after a complete vial id sends it.
    document.querySelectorAll("[data-scan], [data-vial-field], [data-scan-next], [data-scan-field]").forEach(function (field) {
      if (!field.form) return;
      field.form.addEventListener("submit", function () { field.value = cleanScan(field.value); }, true);
      if (field.hasAttribute("data-scan") || field.hasAttribute("data-vial-field")) {
        field.addEventListener("keydown", function (event) {
          if (event.key === "Tab" && !event.shiftKey && field.value && !vialProblem(field.value)) {
            event.preventDefault();
            field.value = cleanScan(field.value);
            if (field.form.requestSubmit) field.form.requestSubmit(); else field.form.submit();
          }
        });
      }
    });
    // A refused form: the summary at the top takes the focus, so it is read first.
    var alertBox = document.querySelector("main [role=alert]");
    if (alertBox) { if (!alertBox.hasAttribute("tabindex")) alertBox.setAttribute("tabindex", "-1"); alertBox.focus(); }
    // A token shown once: copied to the clipboard on request.
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var source = document.getElementById(button.getAttribute("data-copy")), status = document.getElementById("copy-status");
        var done = function () { if (status) status.textContent = "Copied."; };
        if (navigator.clipboard && window.isSecureContext) {
          navigator.clipboard.writeText(source.value).then(done, function () { source.select(); if (status) status.textContent = "Selected: press Ctrl+C to copy."; });
        } else { source.select(); document.execCommand("copy"); done(); }
      });
    });
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
    // A signing step opens as a modal dialog: the meaning and printed name in front of the signer, password
    // re-entered, nothing submitted until "Sign". Without scripts the same fieldset is part of the form.
    document.querySelectorAll("form [data-signature]").forEach(function (fieldset) {
      var form = fieldset.form || fieldset.closest("form");
      if (!form || typeof HTMLDialogElement === "undefined") return;
      var opener = document.createElement("button");
      opener.type = "button";
      opener.className = "sign-open";
      opener.id = fieldset.querySelector("button[type=submit]").id.replace(/-sign$/, "-open");
      opener.setAttribute("aria-haspopup", "dialog");
      opener.textContent = fieldset.querySelector("button[type=submit]").textContent.replace(/^Sign: /, "") + "…";
      var dialog = document.createElement("dialog");
      dialog.className = "sign-dialog";
      fieldset.parentNode.insertBefore(opener, fieldset);
      fieldset.parentNode.insertBefore(dialog, fieldset);
      dialog.appendChild(fieldset);
      var cancel = document.createElement("button");
      cancel.type = "button";
      cancel.className = "secondary";
      cancel.textContent = "Cancel";
      cancel.addEventListener("click", function () { dialog.close(); opener.focus(); });
      fieldset.appendChild(cancel);
      opener.addEventListener("click", function () {
        var outside = Array.prototype.filter.call(form.elements, function (el) { return !dialog.contains(el) && el.willValidate && !el.checkValidity(); });
        if (outside.length) { outside[0].reportValidity(); return; }
        dialog.showModal();
        fieldset.querySelector("input[type=password]").focus();
      });
    });
    // Bedside: a scan ends with Enter; after the patient's band the vial's label is next, not the submit.
    document.querySelectorAll("[data-scan-next]").forEach(function (field) {
      field.addEventListener("keydown", function (event) {
        var next = document.getElementById(field.getAttribute("data-scan-next"));
        if (event.key === "Enter" && next && !next.value) { event.preventDefault(); next.focus(); }
      });
    });
    document.querySelectorAll("[data-vial-field]").forEach(function (field) {
      var msg = document.getElementById(field.id + "-msg");
      field.form.addEventListener("submit", function (event) {
        var problem = vialProblem(field.value);
        if (problem) { event.preventDefault(); if (msg) msg.textContent = problem; field.select(); }
      });
    });
    // Thaw-to-infusion countdowns: the server rendered the deadline; this keeps the time left current.
    var clocks = document.querySelectorAll("[data-countdown]");
    if (clocks.length) {
      var tick = function () {
        clocks.forEach(function (el) {
          var left = Math.floor((Date.parse(el.getAttribute("data-countdown")) - Date.now()) / 1000);
          el.textContent = left > 0 ? Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2) + " left" : "thaw-to-infusion limit passed";
          el.closest(".thaw-clock").classList.toggle("passed", left <= 0);
        });
      };
      tick();
      setInterval(tick, 1000);
    }
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    document.querySelectorAll("[data-now]").forEach(function (el) { el.textContent = new Date().toISOString().replace("T", " ").slice(0, 19) + " UTC"; });
  });
})();
