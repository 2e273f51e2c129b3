// Adhere's service worker, served at /sw.js (notifications/push_views.py) so
// that its scope is the whole site. It shows web pushes and opens the page a
// notification is about. It caches nothing: the pages show health data and
// must come from the server each time.
"use strict";

const ICON_URL = "{{ icon_url|escapejs }}";

self.addEventListener("install", () => {
  self.skipWaiting();
});

self.addEventListener("activate", (event) => {
  event.waitUntil(self.clients.claim());
});

// The payload is JSON from notifications/channels/push.py: {title, body, url, tag}.
self.addEventListener("push", (event) => {
  let message = {};
  if (event.data) {
    try {
      message = event.data.json();
    } catch (error) {
      message = { body: event.data.text() };
    }
  }
  const options = {
    body: message.body || "",
    icon: ICON_URL,
    data: { url: message.url || "/" },
  };
  if (message.tag) {
    options.tag = message.tag;
    options.renotify = true;
  }
  event.waitUntil(self.registration.showNotification(message.title || "Adhere", options));
});

// Always a page of this site, whatever origin the server's SITE_URL names.
function pageFor(url) {
  const target = new URL(url || "/", self.location.origin);
  return new URL(target.pathname + target.search + target.hash, self.location.origin).href;
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const page = pageFor(event.notification.data && event.notification.data.url);
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((windows) => {
      const same = windows.find((client) => client.url === page);
      if (same) {
        return same.focus();
      }
      const open = windows.find((client) => new URL(client.url).origin === self.location.origin);
      if (open) {
        return open.focus().then((client) => (client && client.navigate ? client.navigate(page) : null))
          .catch(() => self.clients.openWindow(page));
      }
      return self.clients.openWindow(page);
    })
  );
});
