// The signature pad of the signing forms: shown when the party signs on the screen; the drawing
// is sent as a PNG data URL in the hidden field "signature_image".
(function () {
  "use strict";
  const box = document.getElementById("signature-pad");
  if (!box || typeof SignaturePad === "undefined") { return; }
  const form = box.closest("form");
  const canvas = document.getElementById("signature-canvas");
  const field = document.getElementById("signature-image");
  const pad = new SignaturePad(canvas, { minWidth: 1, maxWidth: 3, penColor: "#111" });

  function resize() {
    const ratio = Math.max(window.devicePixelRatio || 1, 1);
    const kept = pad.isEmpty() ? null : pad.toData();
    canvas.width = canvas.offsetWidth * ratio;
    canvas.height = canvas.offsetHeight * ratio;
    canvas.getContext("2d").scale(ratio, ratio);
    pad.clear();
    if (kept) { pad.fromData(kept); }
  }

  function chosen() {
    const picked = form.querySelector("[name=signing]:checked") || form.querySelector("select[name=signing]");
    return picked ? picked.value : "";
  }

  function show() {
    box.hidden = chosen() !== "e_signature";
    if (!box.hidden) { resize(); }
  }

  form.addEventListener("change", function (event) {
    if (event.target.name === "signing") { show(); }
  });
  document.getElementById("signature-clear").addEventListener("click", function () {
    pad.clear();
    field.value = "";
  });
  form.addEventListener("submit", function (event) {
    if (chosen() !== "e_signature") { field.value = ""; return; }
    if (pad.isEmpty()) {
      event.preventDefault();
      window.alert(box.dataset.empty);
      return;
    }
    field.value = pad.toDataURL("image/png");
  });
  window.addEventListener("resize", function () { if (!box.hidden) { resize(); } });
  show();
}());
