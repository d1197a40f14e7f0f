// Keyboard review: on a focused card D = dry, W = wet, Enter = confirm the prediction, arrows move between cards.
// Each key presses the card's real submit button, so the server sees the same form a click sends.
(() => {
  const cards = [...document.querySelectorAll("[data-card]")];
  const press = (card, label) => card.querySelector(`button[data-label="${label}"]:not(:disabled)`)?.click();
  cards.forEach((card, i) => card.addEventListener("keydown", (e) => {
    if (e.target !== card || e.altKey || e.ctrlKey || e.metaKey) return;
    const key = e.key.toLowerCase();
    if (key === "d") press(card, "dry");
    else if (key === "w") press(card, "wet");
    else if (key === "enter") press(card, card.dataset.predicted);
    else if (key === "arrowright" || key === "arrowdown") cards[Math.min(i + 1, cards.length - 1)].focus();
    else if (key === "arrowleft" || key === "arrowup") cards[Math.max(i - 1, 0)].focus();
    else return;
    e.preventDefault();
  }));
  // After a label the server redirects to #after-<id>: move focus to the next card to keep going.
  const after = location.hash.startsWith("#after-") && document.getElementById(location.hash.slice(1));
  if (after) (after.nextElementSibling?.querySelector("[data-card]") ?? after.querySelector("[data-card]"))?.focus();
})();
