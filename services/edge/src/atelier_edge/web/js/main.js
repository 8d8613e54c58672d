// The studio page: sign in, then the account header, the catalogue and form, the running
// generation, its results (copied into our bucket by the page), the history and the statement.

import { api, useToken } from "./api.js";
import { forgetSession, offerSignIn, savedSession } from "./auth.js";
import { $ } from "./dom.js";
import { History } from "./history.js";
import { showResults, useStoredLinks } from "./results.js";
import { Run } from "./run.js";
import { Statement } from "./statement.js";
import { Studio } from "./studio.js";
import { transferOutputs } from "./transfer.js";

const account = { available: null };

async function boot() {
  $("#sign-out").addEventListener("click", signOut);
  const session = savedSession();
  if (session) return enter(session);
  const config = await api("/v1/config");
  await offerSignIn(config, enter);
}

function signOut() {
  forgetSession();
  sessionStorage.clear();
  location.reload();
}

async function enter(session) {
  useToken(session.token, signOut);
  $("#sign-in").hidden = true;
  $("#studio-area").hidden = false;
  $("#account").hidden = false;
  $("#sign-out").hidden = false;

  const [me, catalogue] = await Promise.all([api("/v1/me"), api("/v1/tools")]);
  showAccount(me);
  const names = new Map(catalogue.tools.map((t) => [t.id, t.name]));
  const toolName = (id) => names.get(id) || id;
  const results = $("#results");
  const history = new History({ toolName, onShow: (g, label) => showResults(results, g, label) });
  const statement = new Statement();
  let studio = null;

  const run = new Run({
    describe: (g) => `${toolName(g.tool)} · ${g.model}`,
    onFinished: async (generation, label) => {
      studio.setBusy(false);
      if (generation.status === "succeeded") {
        showResults(results, generation, label);
        useStoredLinks(results, await transferOutputs(generation));
      }
      await history.load();
      await readUntilSettled(generation.id, statement);
      studio.showCost();
    },
  });
  studio = new Studio({
    tools: catalogue.tools,
    account,
    earlier: (kind) => history.outputs(kind),
    onStarted: (generation) => {
      results.replaceChildren();
      run.follow(generation);
      api("/v1/me").then(showAccount);
    },
  });
  await Promise.all([history.load(), statement.load()]);
  if (await run.resume()) studio.setBusy(run.active);
}

const SETTLE_WAITS_MS = [0, 250, 500, 1000, 2000, 4000, 8000];

// Credits settle a moment after the outcome, and the statement follows the balance: read both
// again until the generation's credits are settled and the newest line matches the balance.
async function readUntilSettled(id, statement) {
  for (const wait of SETTLE_WAITS_MS) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    try {
      const [generation, me] = await Promise.all([
        api(`/v1/generations/${encodeURIComponent(id)}`),
        api("/v1/me"),
      ]);
      showAccount(me);
      const newest = await statement.load();
      const caughtUp =
        newest !== null &&
        newest.available_after === me.credits.available &&
        newest.frozen_after === me.credits.frozen;
      if (generation.credits !== "frozen" && caughtUp) return;
    } catch {
      return; // a passing failure: the Refresh buttons are there
    }
  }
}

function showAccount(me) {
  account.available = me.credits.available;
  $("#credits-available").textContent = String(me.credits.available);
  $("#credits-frozen").textContent = String(me.credits.frozen);
  $("#plan").textContent = me.plan;
  const free = me.free_credits_today;
  $("#free-today").textContent = free ? String(free.amount) : "0";
}

boot();
