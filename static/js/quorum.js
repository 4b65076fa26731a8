// Quorum's only script: typesets TeX with the vendored KaTeX, on load and after htmx swaps.
// KaTeX runs with trust: false, so \href, \url and \includegraphics in user content stay inert.
(function () {
  "use strict";

  var OPTIONS = {
    delimiters: [
      { left: "$$", right: "$$", display: true },
      { left: "\\[", right: "\\]", display: true },
      { left: "\\(", right: "\\)", display: false },
      { left: "$", right: "$", display: false }
    ],
    ignoredTags: ["script", "noscript", "style", "textarea", "pre", "code", "option"],
    throwOnError: false,
    trust: false,
    strict: "ignore",
    maxSize: 20,
    maxExpand: 500
  };

  function typeset(root) {
    if (typeof window.renderMathInElement !== "function") {
      return;
    }
    var scopes = root.querySelectorAll ? root.querySelectorAll(".math, .math-title, .question-title") : [];
    Array.prototype.forEach.call(scopes, function (element) {
      if (element.dataset.typeset === "1") {
        return;
      }
      window.renderMathInElement(element, OPTIONS);
      element.dataset.typeset = "1";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    typeset(document);
  });
  document.addEventListener("htmx:afterSettle", function (event) {
    typeset(event.target);
  });
})();
