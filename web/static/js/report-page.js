// The report page to print (GET /api/rooms/ROOM/report?format=html): the
// page works without this script; with it, a button opens the browser's
// print dialog, where "Save as PDF" makes the PDF.
(() => {
  const btn = document.getElementById('print-btn');
  const hint = document.getElementById('print-hint');
  if (!btn || typeof window.print !== 'function') return;
  btn.hidden = false;
  if (hint) hint.hidden = false;
  btn.addEventListener('click', () => window.print());
})();
