// Lets a desktop drop a bank file on the upload form; the file input still does the work
// (and is all a phone uses), so the form posts the same way either way.
(function () {
  "use strict";
  function ready() {
    var zone = document.getElementById("dropzone");
    var input = document.getElementById("bank-file");
    if (!zone || !input) { return; }
    ["dragenter", "dragover"].forEach(function (name) {
      zone.addEventListener(name, function (event) {
        event.preventDefault();
        zone.classList.add("over");
      });
    });
    ["dragleave", "drop"].forEach(function (name) {
      zone.addEventListener(name, function () { zone.classList.remove("over"); });
    });
    zone.addEventListener("drop", function (event) {
      event.preventDefault();
      if (event.dataTransfer && event.dataTransfer.files.length) {
        input.files = event.dataTransfer.files;
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
    });
  }
  document.addEventListener("DOMContentLoaded", ready);
})();
