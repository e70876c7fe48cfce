// The queue's table fetches itself again every few seconds. Not while someone works in it by
// keyboard: the swap would throw their focus back to the top of the page. It resumes once the
// focus has left the table; a filter change (sent by the form) always goes through.
document.addEventListener("htmx:beforeRequest", (event) => {
  const table = document.getElementById("queue-table");
  if (table !== null && event.detail.elt === table && table.contains(document.activeElement)) {
    event.preventDefault();
  }
});
