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

// The browser names its file button and its "no file chosen" in the browser's language, not the page's. Where the
// page asks (data-choose), a button and a line in the page's words stand in for them; the real field, hidden, still
// takes the file and sends it (its label still names it, and a click on the label opens the picker too), and without
// this script it is simply shown.
document.querySelectorAll("input[type=file][data-choose]").forEach(function (input) {
  var button = document.createElement("button");
  var chosen = document.createElement("p");
  var none = input.getAttribute("data-none") || "";
  button.type = "button";
  button.className = "plain choose-file";
  button.id = input.id + "-choose";
  button.textContent = input.getAttribute("data-choose");
  chosen.className = "hint chosen-file";
  chosen.id = input.id + "-chosen";
  chosen.setAttribute("aria-live", "polite");
  chosen.textContent = none;
  button.setAttribute("aria-describedby", chosen.id);
  input.hidden = true;
  input.after(button, chosen);
  button.addEventListener("click", function () {
    input.click();
  });
  input.addEventListener("change", function () {
    var names = Array.prototype.map.call(input.files || [], function (file) {
      return file.name;
    });
    chosen.textContent = names.length ? names.join(", ") : none;
  });
});
