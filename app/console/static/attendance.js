// A refused check-in (409) answers with the member's row saying why: show it in place
// like any answer, instead of htmx's default of dropping error responses.
document.body.addEventListener("htmx:beforeSwap", (event) => {
  if (event.detail.xhr.status === 409) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
