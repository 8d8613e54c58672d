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

  const refresh = () =>
    Promise.all([api("/v1/me").then(showAccount), history.load(), statement.load()]).then(() => studio && studio.showCost());

  const run = new Run({
    describe: (g) => `${toolName(g.tool)} · ${g.model}`,
    onFinished: async (generation, label) => {
      studio.setBusy(false);
      if (generation.status === "succeeded") {
        showResults(results, generation, label);
        useStoredLinks(results, await transferOutputs(generation));
      }
      await refresh();
      // Credits settle just after the outcome: read the balance again once they have.
      if (generation.credits === "frozen" && (await settled(generation.id))) await refresh();
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

const SETTLE_WAITS_MS = [250, 500, 1000, 2000, 4000];

async function settled(id) {
  for (const wait of SETTLE_WAITS_MS) {
    await new Promise((resolve) => setTimeout(resolve, wait));
    try {
      const generation = await api(`/v1/generations/${encodeURIComponent(id)}`);
      if (generation.credits !== "frozen") return true;
    } catch {
      return false;
    }
  }
  return false;
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
