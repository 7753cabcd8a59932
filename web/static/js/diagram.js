// The case's process diagram (bpmn-js NavigatedViewer): completed elements and the ones waiting
// now are marked; a select switches to the diagrams of the processes the main one calls.
(function () {
  "use strict";

  var container = document.getElementById("diagram");
  if (!container || !window.BpmnJS) {
    return;
  }
  var progress = JSON.parse(document.getElementById("diagram-progress").textContent);
  var viewer = new window.BpmnJS({ container: container });
  window.tiaojieDiagram = viewer;

  function mark() {
    var registry = viewer.get("elementRegistry");
    var canvas = viewer.get("canvas");
    var marked = { done: 0, active: 0 };
    progress.completed.forEach(function (id) {
      if (registry.get(id)) {
        canvas.addMarker(id, "done");
        marked.done += 1;
      }
    });
    progress.active.forEach(function (id) {
      if (registry.get(id)) {
        canvas.removeMarker(id, "done");
        canvas.addMarker(id, "active");
        marked.active += 1;
      }
    });
    container.dataset.done = String(marked.done);
    container.dataset.active = String(marked.active);
  }

  function load(url) {
    container.dataset.state = "loading";
    fetch(url, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status + " " + response.statusText);
        }
        return response.text();
      })
      .then(function (xml) { return viewer.importXML(xml); })
      .then(function () {
        viewer.get("canvas").zoom("fit-viewport", "auto");
        mark();
        container.dataset.state = "ready";
      })
      .catch(function (error) {
        container.dataset.state = "failed";
        container.textContent = container.dataset.failed + " " + error.message;
      });
  }

  var select = document.getElementById("diagram-file");
  if (select) {
    select.addEventListener("change", function () { load(select.value); });
  }
  load(container.dataset.xmlUrl);
})();
