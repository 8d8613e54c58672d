// Signing in: Google Identity Services when the edge names a client id, else the development
// sign-in the edge offers under `atelier up`. The token is kept until it expires.

import { api } from "./api.js";
import { $ } from "./dom.js";

const KEY = "atelier.session";
const GOOGLE_SCRIPT = "https://accounts.google.com/gsi/client";

export function savedSession() {
  try {
    const session = JSON.parse(localStorage.getItem(KEY) || "null");
    if (session && session.token && Date.parse(session.expires_at) > Date.now() + 60_000) {
      return session;
    }
  } catch {
    // A damaged entry is as good as none.
  }
  localStorage.removeItem(KEY);
  return null;
}

export function forgetSession() {
  localStorage.removeItem(KEY);
}

function keep(token, expiresAt) {
  const session = { token, expires_at: expiresAt };
  localStorage.setItem(KEY, JSON.stringify(session));
  return session;
}

function expiryOf(jwt) {
  // Only to know when to ask again: the edge verifies the token, the page never trusts it.
  const payload = jwt.split(".")[1] || "";
  const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/")));
  return new Date(claims.exp * 1000).toISOString();
}

export async function offerSignIn(config, onSignedIn) {
  const error = $("#sign-in-error");
  $("#sign-in").hidden = false;
  $("#sign-in-none").hidden = Boolean(config.google_client_id || config.dev_login);
  if (config.dev_login) {
    const form = $("#dev-sign-in");
    form.hidden = false;
    form.onsubmit = async (event) => {
      event.preventDefault();
      error.textContent = "";
      const input = $("#dev-account");
      if (!input.checkValidity()) {
        error.textContent = "The account id is letters, digits and . _ @ : - (up to 200).";
        input.focus();
        return;
      }
      try {
        const answer = await api("/v1/dev/token", {
          method: "POST",
          body: { account_id: input.value },
        });
        onSignedIn(keep(answer.token, answer.expires_at));
      } catch (problem) {
        error.textContent = `Could not sign in: ${problem.message}`;
      }
    };
    $("#dev-account").focus();
  }
  if (config.google_client_id) await offerGoogle(config.google_client_id, onSignedIn, error);
}

async function offerGoogle(clientId, onSignedIn, error) {
  const box = $("#google-sign-in");
  box.hidden = false;
  try {
    await loadScript(GOOGLE_SCRIPT);
  } catch {
    error.textContent = "Google sign-in could not be loaded.";
    return;
  }
  window.google.accounts.id.initialize({
    client_id: clientId,
    callback: (answer) => onSignedIn(keep(answer.credential, expiryOf(answer.credential))),
  });
  window.google.accounts.id.renderButton(box, { theme: "outline", size: "large" });
}

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const script = document.createElement("script");
    script.src = src;
    script.async = true;
    script.onload = resolve;
    script.onerror = reject;
    document.head.append(script);
  });
}
