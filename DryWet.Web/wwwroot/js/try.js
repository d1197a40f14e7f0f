// Drop and paste for the try-it form: put the image into the file input and submit. Without this script the form
// still works as a plain upload.
(() => {
  const form = document.querySelector("[data-drop-zone]");
  if (!form) return;
  const input = form.querySelector("input[type=file]");
  const maxBytes = Number(form.dataset.maxBytes || 0);
  const submitWith = (file) => {
    if (!file) return;
    const transfer = new DataTransfer();
    transfer.items.add(file.name ? file : new File([file], "pasted-image", { type: file.type }));
    input.files = transfer.files;
    form.requestSubmit();
  };
  form.addEventListener("dragover", (e) => { e.preventDefault(); form.classList.add("dragging"); });
  form.addEventListener("dragleave", () => form.classList.remove("dragging"));
  form.addEventListener("drop", (e) => {
    e.preventDefault();
    form.classList.remove("dragging");
    submitWith(e.dataTransfer?.files?.[0]);
  });
  document.addEventListener("paste", (e) => {
    const item = [...(e.clipboardData?.items || [])].find((i) => i.kind === "file");
    if (item) { e.preventDefault(); submitWith(item.getAsFile()); }
  });
  input.addEventListener("change", () => {
    const file = input.files?.[0];
    input.setCustomValidity(file && maxBytes && file.size > maxBytes ? `This file is ${file.size} bytes; the limit is ${maxBytes}.` : "");
    input.reportValidity();
  });
})();
