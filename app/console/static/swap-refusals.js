// A refused tap (a check-in, its undo, a ledger correction) answers 409 or 422 with the
// changed fragment saying why: show it in place like any answer, instead of htmx's
// default of dropping error responses, so the organizer stays where they were.
document.body.addEventListener("htmx:beforeSwap", (event) => {
  const status = event.detail.xhr.status;
  if (status === 409 || status === 422) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
