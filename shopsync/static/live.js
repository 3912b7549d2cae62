// Live state (blueprints/live.py): before each poll of #live, gather what the page shows from its
// data-live elements ("links:4,5,6", "dashboard"); skip the poll while the tab is hidden or nothing is watched.
(function () {
  function watched() {
    var groups = {};
    document.querySelectorAll("[data-live]").forEach(function (element) {
      var name = element.getAttribute("data-live");
      var ids = groups[name] || (groups[name] = []);
      var id = element.getAttribute("data-live-id");
      if (id && ids.indexOf(id) < 0) ids.push(id);
    });
    return Object.keys(groups).map(function (name) {
      return groups[name].length ? name + ":" + groups[name].join(",") : name;
    });
  }

  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.elt.id !== "live") return;
    var watch = watched();
    if (document.hidden || !watch.length) {
      event.preventDefault();
      return;
    }
    event.detail.parameters["w"] = watch;
  });

  document.addEventListener("visibilitychange", function () {
    var live = document.getElementById("live");
    if (!document.hidden && live && window.htmx) window.htmx.trigger(live, "live:now");
  });
})();
