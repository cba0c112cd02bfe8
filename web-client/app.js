// Hearth web client — entry point. Plain ES modules, no build step.
// Every user-provided text is inserted with textContent, never as HTML.

async function checkHealth() {
  const el = document.getElementById('health');
  if (!el) return;
  try {
    const res = await fetch('/healthz', { cache: 'no-store' });
    const body = await res.json();
    el.textContent = body.status === 'ok'
      ? `The service is running (version ${body.version}).`
      : 'The service is running but busy; things may be slow.';
    el.dataset.state = body.status;
  } catch {
    el.textContent = 'The service cannot be reached right now.';
    el.dataset.state = 'down';
  }
}

checkHealth();
