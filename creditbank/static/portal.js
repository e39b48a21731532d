// The portal's one script, loaded only by the pages that use it. Every page works without it: it adds a
// show-password button beside each password field and a copy button beside the share link, both rendered hidden
// by the server with their words in the page's language.
"use strict";

document.querySelectorAll("button[data-reveal]").forEach(function (button) {
  var field = document.getElementById(button.getAttribute("data-reveal"));
  if (!field) {
    return;
  }
  var show = button.textContent;
  var hide = button.getAttribute("data-hide") || show;
  button.hidden = false;
  button.addEventListener("click", function () {
    var hidden = field.type === "password";
    field.type = hidden ? "text" : "password";
    button.textContent = hidden ? hide : show;
    field.focus();
  });
});

document.querySelectorAll("button[data-copy]").forEach(function (button) {
  var field = document.getElementById(button.getAttribute("data-copy"));
  var said = document.getElementById(button.getAttribute("data-said"));
  if (!field) {
    return;
  }
  button.hidden = false;
  button.addEventListener("click", function () {
    field.focus();
    field.select();
    var done = function () {
      if (said) {
        said.textContent = button.getAttribute("data-done") || "";
      }
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(field.value).then(done, function () {
        document.execCommand("copy");
        done();
      });
    } else {
      document.execCommand("copy");
      done();
    }
  });
});

document.querySelectorAll("input[data-select-on-focus]").forEach(function (field) {
  field.addEventListener("focus", function () {
    field.select();
  });
});
