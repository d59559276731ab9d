// Progressive enhancement only: the queue's "select all" box. Everything works without it.
document.addEventListener("DOMContentLoaded", () => {
  for (const box of document.querySelectorAll("input.select-all")) {
    box.addEventListener("change", () => {
      for (const item of box.closest("form").querySelectorAll('input[name="item"]')) {
        item.checked = box.checked;
      }
    });
  }
});
