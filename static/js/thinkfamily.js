/* ThinkFamily: small enhancements over htmx and GOV.UK Frontend. Everything works without it. */
(function () {
  "use strict";

  /* htmx writes to sessionStorage (its history cache, and the last URL, which holds the search terms).
     Nothing of it may outlive a sign-out: clear it on signing out, and on any signed-out page
     (the sign-in page after a sign-out or a session timeout). */
  function forget() {
    try { window.sessionStorage.clear(); } catch (e) { /* storage disabled: nothing kept */ }
  }
  if (document.body.getAttribute("data-tf-signed-in") !== "true") { forget(); }
  document.addEventListener("submit", function (event) {
    if (event.target.hasAttribute("data-tf-sign-out")) { forget(); }
  });

  /* After htmx swaps in a form with errors, move focus to the error summary (as GOV.UK Frontend does on a
     page load); after it swaps in results, to their heading, so a screen reader user hears what changed. */
  document.addEventListener("htmx:afterSettle", function (event) {
    var root = event.detail.elt;
    if (!root || root === document.body || !root.querySelector) { return; }
    var target = root.querySelector(".govuk-error-summary") || root.querySelector("#results-heading");
    if (target) { target.focus(); }
  });
})();
