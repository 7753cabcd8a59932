// The diagram (bpmn-js) or decision table (dmn-js) modeler: load a deployed file, validate the
// edited XML on the server, mark each problem on its element, deploy a new version.
(function () {
  "use strict";

  var root = document.getElementById("modeler");
  if (!root) {
    return;
  }
  var messages = JSON.parse(document.getElementById("modeler-messages").textContent);
  var kind = root.dataset.kind;
  var key = root.dataset.key;
  var status = document.getElementById("modeler-status");
  var list = document.getElementById("problems");
  var modeler = null;
  var marked = [];
  var dirty = false;

  function setState(state) {
    root.dataset.state = state;
  }

  function say(text, tone) {
    status.textContent = text;
    status.className = "modeler-status" + (tone ? " " + tone : "");
  }

  function create() {
    if (kind === "bpmn") {
      return new window.BpmnJS({ container: "#canvas" });
    }
    return new window.DmnJS({ container: "#canvas" });
  }

  // The bpmn-js services; for dmn-js, those of the view on screen (a DRD has a canvas, a table not).
  function service(name) {
    var viewer = kind === "bpmn" ? modeler : modeler.getActiveViewer();
    try {
      return viewer ? viewer.get(name) : null;
    } catch (missing) {
      return null;
    }
  }

  function watchChanges() {
    var bus = service("eventBus");
    if (bus) {
      bus.on("commandStack.changed", function () { dirty = true; });
    }
  }

  function load() {
    say(messages.loading);
    setState("loading");
    modeler = create();
    window.tiaojieModeler = modeler;
    fetch(root.dataset.xmlUrl, { credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(response.status + " " + response.statusText);
        }
        return response.text();
      })
      .then(function (xml) { return modeler.importXML(xml); })
      .then(function () {
        if (kind === "bpmn") {
          modeler.get("canvas").zoom("fit-viewport");
        } else {
          var table = modeler.getViews().find(function (v) { return v.type === "decisionTable"; });
          if (table) {
            modeler.open(table);
          }
          modeler.on("views.changed", watchChanges);
        }
        watchChanges();
        say(messages.loaded);
        setState("ready");
      })
      .catch(function (error) {
        say(messages.load_failed + " " + error.message, "bad");
        setState("failed");
      });
  }

  function clearMarks() {
    var canvas = service("canvas");
    var overlays = service("overlays");
    marked.forEach(function (id) {
      if (canvas) {
        try { canvas.removeMarker(id, "has-problem"); } catch (gone) { /* element deleted */ }
      }
    });
    if (overlays) {
      overlays.remove({ type: "problem" });
    }
    document.querySelectorAll("#canvas .has-problem").forEach(function (node) {
      node.classList.remove("has-problem");
    });
    marked = [];
    list.textContent = "";
  }

  function elementOf(problem) {
    var registry = service("elementRegistry");
    if (problem.file !== key || !problem.element || !registry) {
      return null;
    }
    return registry.get(problem.element) || null;
  }

  function mark(problem) {
    var element = elementOf(problem);
    if (element) {
      service("canvas").addMarker(element.id, "has-problem");
      var badge = document.createElement("span");
      badge.className = "problem-badge";
      badge.textContent = "!";
      badge.title = problem.reason;
      service("overlays").add(element.id, "problem", { position: { top: -10, right: 10 }, html: badge });
      marked.push(element.id);
    } else if (problem.file === key && problem.element) {
      // A decision table marks its rules and cells by id in the page.
      document.querySelectorAll('#canvas [data-element-id="' + CSS.escape(problem.element) + '"]')
        .forEach(function (node) { node.classList.add("has-problem"); });
    }
  }

  function goTo(problem) {
    if (kind === "dmn" && problem.element) {
      var view = modeler.getViews().find(function (v) { return v.element.id === problem.element; });
      if (view) {
        modeler.open(view);
        return;
      }
    }
    var element = elementOf(problem);
    if (element) {
      service("selection").select(element);
      service("canvas").scrollToElement(element);
    }
  }

  function listProblem(problem, tone) {
    var item = document.createElement("li");
    item.className = tone;
    item.dataset.element = problem.element || "";
    var button = document.createElement("button");
    button.type = "button";
    var where = problem.file + (problem.line ? ":" + problem.line : "");
    var label = document.createElement("code");
    label.textContent = (problem.element ? problem.element + " " + messages.in_file + " " : "") + where;
    button.appendChild(label);
    button.appendChild(document.createTextNode(" " + problem.reason));
    button.addEventListener("click", function () { goTo(problem); });
    item.appendChild(button);
    list.appendChild(item);
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "X-CSRFToken": window.tiaojie.csrfToken()
      },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { ok: response.ok, data: data }; });
    });
  }

  function showProblems(data, failedText) {
    var problems = data.problems || [];
    problems.forEach(mark);
    problems.forEach(function (p) { listProblem(p, "problem"); });
    say(problems.length ? messages.invalid : failedText + " " + (data.error || ""), "bad");
  }

  function showWarnings(data) {
    (data.warnings || []).forEach(function (w) {
      if (typeof w === "string") {
        listProblem({ file: "", line: null, element: null, reason: messages.warning + ": " + w }, "warning");
      } else {
        listProblem(w, "warning");
      }
    });
  }

  function validate() {
    setState("validating");
    say(messages.validating);
    modeler.saveXML({ format: true })
      .then(function (saved) { return post(root.dataset.validateUrl, { key: key, xml: saved.xml }); })
      .then(function (result) {
        clearMarks();
        if (result.ok) {
          showWarnings(result.data);
          say(messages.valid, "good");
          setState("valid");
        } else {
          showProblems(result.data, messages.deploy_failed);
          setState("invalid");
        }
      })
      .catch(function () { say(messages.network, "bad"); setState("ready"); });
  }

  function deploy() {
    setState("deploying");
    say(messages.deploying);
    var note = document.getElementById("deploy-note").value;
    modeler.saveXML({ format: true })
      .then(function (saved) {
        return post(root.dataset.deployUrl, { key: key, xml: saved.xml, note: note });
      })
      .then(function (result) {
        clearMarks();
        if (!result.ok) {
          showProblems(result.data, messages.deploy_failed);
          setState("invalid");
          return;
        }
        var data = result.data;
        dirty = false;
        // Later edits build on what was just deployed.
        root.dataset.validateUrl = data.validate_url;
        root.dataset.deployUrl = data.deploy_url;
        root.dataset.xmlUrl = data.xml_url;
        window.history.replaceState(null, "", data.edit_url);
        showWarnings(data);
        say(data.message, "good");
        var versions = document.createElement("p");
        versions.className = "deployed";
        versions.appendChild(document.createTextNode(messages.new_versions + " "));
        data.definitions.forEach(function (d) {
          var link = document.createElement("a");
          link.href = d.url;
          link.className = "pill";
          link.textContent = d.process_id + " v" + d.version;
          versions.appendChild(link);
        });
        var all = document.createElement("a");
        all.href = data.definitions_url;
        all.className = "button";
        all.id = "open-definitions";
        all.textContent = messages.open_list;
        versions.appendChild(all);
        status.appendChild(versions);
        setState("deployed");
      })
      .catch(function () { say(messages.network, "bad"); setState("ready"); });
  }

  window.addEventListener("beforeunload", function (event) {
    if (dirty) {
      event.preventDefault();
      event.returnValue = "";
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.getElementById("validate").addEventListener("click", validate);
    document.getElementById("deploy").addEventListener("click", deploy);
    load();
  });
})();
