// Slipway console: the only script. Regions marked data-live="running" reload from their
// data-live-src every two seconds until the server marks them done (a canary that ended).
'use strict';
(function () {
  const REFRESH_MS = 2000;
  async function refresh(region) {
    try {
      const res = await fetch(region.dataset.liveSrc, { credentials: 'same-origin', headers: { accept: 'text/html' } });
      if (!res.ok) return;
      const next = document.createElement('div');
      next.innerHTML = await res.text();
      const fresh = next.firstElementChild;
      if (!fresh) return;
      // Keep what the user is typing in a reason field.
      const typing = region.querySelector('input:focus');
      if (typing && typing.value) {
        setTimeout(() => refresh(region), REFRESH_MS);
        return;
      }
      region.replaceWith(fresh);
      if (fresh.dataset.live === 'running') setTimeout(() => refresh(fresh), REFRESH_MS);
    } catch {
      setTimeout(() => refresh(region), REFRESH_MS * 2);
    }
  }
  document.querySelectorAll('[data-live="running"]').forEach((region) => setTimeout(() => refresh(region), REFRESH_MS));
})();
