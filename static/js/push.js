// The installable app and web push. On every page: registers the service
// worker (/sw.js, scope "/") where the browser has them. Where the page has a
// [data-push-toggle] button (notifications/_push_toggle.html): turns
// notifications on or off for this browser, and says what happened in the
// [data-push-status] element beside it. Browsers that can do web push all
// run this modern syntax; an older one simply skips the script.
(function () {
  "use strict";

  const script = document.currentScript;
  const workerUrl = (script && script.dataset.serviceWorker) || "/sw.js";
  const canRegister = "serviceWorker" in navigator && window.isSecureContext;
  const canPush = canRegister && "PushManager" in window && "Notification" in window;

  const registration = canRegister
    ? navigator.serviceWorker.register(workerUrl, { scope: "/" }).catch(() => null)
    : Promise.resolve(null);

  const SAY = {
    unsupported:
      "This browser cannot show notifications from Adhere. On an iPhone or iPad, first add Adhere " +
      "to your Home Screen (Share, then Add to Home Screen), then open it from there.",
    denied:
      "Notifications are blocked for Adhere in this browser's settings. Allow them there, then reload this page.",
    notAllowed: "Notifications were not allowed, so they stay off on this device.",
    on: "Notifications are on for this device.",
    off: "Notifications are off for this device.",
    working: "One moment…",
    signedOut: "You were signed out. Sign in again, then try once more.",
    refused: "Adhere refused the change. Reload this page, then try once more.",
    offline: "Adhere could not be reached. Check your connection and try again.",
    noPushService:
      "This browser could not turn notifications on: its push service did not answer. " +
      "A private window cannot have them; otherwise, try again later.",
    failed: "Something went wrong, and notifications did not change on this device. Please try again.",
  };

  // A failure already put in words for the status line.
  class Said extends Error {}

  // The applicationServerKey: the VAPID public key, base64url, as bytes.
  function serverKey() {
    const meta = document.querySelector('meta[name="vapid-public-key"]');
    if (!meta || !meta.content) {
      return null;
    }
    const base64 = meta.content.replace(/-/g, "+").replace(/_/g, "/");
    const padded = base64 + "=".repeat((4 - (base64.length % 4)) % 4);
    return Uint8Array.from(window.atob(padded), (character) => character.charCodeAt(0));
  }

  function sameBytes(buffer, bytes) {
    const other = new Uint8Array(buffer);
    return other.length === bytes.length && other.every((value, index) => value === bytes[index]);
  }

  // The token htmx sends: <body hx-headers='{"X-CSRFToken": "..."}'>.
  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  async function sha256(text) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    return Array.from(new Uint8Array(digest), (value) => value.toString(16).padStart(2, "0")).join("");
  }

  // Resolves to the response; a redirect (to the sign-in page) is an error in words.
  async function postJson(url, data) {
    let response;
    try {
      response = await fetch(url, {
        method: "POST",
        credentials: "same-origin",
        redirect: "manual",
        headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
        body: JSON.stringify(data),
      });
    } catch (error) {
      throw new Said(SAY.offline);
    }
    if (response.type === "opaqueredirect") {
      throw new Said(SAY.signedOut);
    }
    if (response.status === 403) {
      throw new Said(SAY.refused); // the CSRF token of a page left open across sessions
    }
    return response;
  }

  async function detailOf(response) {
    try {
      return (await response.json()).detail || SAY.failed;
    } catch (error) {
      return SAY.failed;
    }
  }

  function wire(button) {
    if (button.dataset.pushWired) {
      return;
    }
    button.dataset.pushWired = "1";
    const box = button.closest("[data-push-box]") || document;
    const status = box.querySelector("[data-push-status]");
    const mine = new Set((button.dataset.pushEndpoints || "").split(" ").filter(Boolean));
    let isOn = false;

    function say(text) {
      if (status) {
        status.textContent = text;
      }
    }

    function show(on) {
      isOn = on;
      button.textContent = on ? "Turn off on this device" : "Turn on notifications on this device";
      button.hidden = false;
      button.disabled = false;
    }

    // On only when this browser's subscription is one the server holds for this person:
    // on a shared device it may be someone else's.
    async function current() {
      const worker = await registration;
      const subscription = worker ? await worker.pushManager.getSubscription() : null;
      return { worker, subscription, mine: !!subscription && mine.has(await sha256(subscription.endpoint)) };
    }

    async function turnOn() {
      const permission = await Notification.requestPermission();
      if (permission !== "granted") {
        say(permission === "denied" ? SAY.denied : SAY.notAllowed);
        return;
      }
      const key = serverKey();
      const worker = await registration;
      if (!worker || !key) {
        say(SAY.unsupported);
        return;
      }
      let subscription = await worker.pushManager.getSubscription();
      // Subscribed with an older server key: that subscription can no longer be used.
      if (subscription && subscription.options.applicationServerKey && !sameBytes(subscription.options.applicationServerKey, key)) {
        await subscription.unsubscribe();
        subscription = null;
      }
      if (!subscription) {
        try {
          subscription = await worker.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
        } catch (error) {
          throw new Said(SAY.noPushService);
        }
      }
      const response = await postJson(button.dataset.pushSubscribe, subscription.toJSON());
      if (response.status !== 200 && response.status !== 201) {
        say(await detailOf(response));
        return;
      }
      mine.add(await sha256(subscription.endpoint));
      show(true);
      say(SAY.on);
    }

    async function turnOff() {
      const { subscription } = await current();
      if (subscription) {
        const response = await postJson(button.dataset.pushUnsubscribe, { endpoint: subscription.endpoint });
        // 404: the server had already forgotten it (or it was someone else's); off either way.
        if (response.status !== 204 && response.status !== 404) {
          say(await detailOf(response));
          return;
        }
        mine.delete(await sha256(subscription.endpoint));
        await subscription.unsubscribe();
      }
      show(false);
      say(SAY.off);
    }

    button.addEventListener("click", async () => {
      button.disabled = true;
      say(SAY.working);
      try {
        await (isOn ? turnOff() : turnOn());
      } catch (error) {
        say(error instanceof Said ? error.message : SAY.failed);
      } finally {
        button.disabled = false;
      }
    });

    if (!canPush || !serverKey()) {
      say(SAY.unsupported);
      return;
    }
    if (Notification.permission === "denied") {
      say(SAY.denied);
      return;
    }
    current()
      .then((state) => {
        if (!state.worker) {
          say(SAY.unsupported);
          return;
        }
        show(state.mine && Notification.permission === "granted");
        say(isOn ? SAY.on : SAY.off);
      })
      .catch(() => say(SAY.unsupported));
  }

  function wireAll(root) {
    root.querySelectorAll("[data-push-toggle]").forEach(wire);
  }

  wireAll(document);
  document.addEventListener("htmx:load", (event) => wireAll(event.detail.elt));
})();
