// The frontend-first transfer: right after a success the page copies each output from the
// provider into our bucket (presigned PUT), then tells the edge. Any failure is left quietly to
// the backend, which copies whatever is still external after a short delay.

import { api } from "./api.js";

export async function transferOutputs(generation) {
  const stored = {};
  for (const output of generation.outputs) {
    try {
      stored[output.media_id] = await transferOne(output);
    } catch {
      // Not alarming: the server-side fallback stores it.
    }
  }
  return stored;
}

// Media records an output when it hears of the success, a moment after the page may have: the
// page asks a second later, and again (backing off) while the record is not there yet.
const FIRST_ASK_MS = 1000;
const RECORD_WAITS_MS = [250, 500, 1000, 2000, 4000];

async function recorded(mediaId) {
  await new Promise((resolve) => setTimeout(resolve, FIRST_ASK_MS));
  for (const wait of [...RECORD_WAITS_MS, null]) {
    try {
      return await api(`/v1/media/${encodeURIComponent(mediaId)}`);
    } catch (problem) {
      if (problem.status !== 404 || wait === null) throw problem;
      await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
  throw new Error("unreachable");
}

async function transferOne(output) {
  const media = await recorded(output.media_id);
  if (media.status !== "external") return media;
  const source = await fetch(output.url, { mode: "cors", cache: "no-store" });
  if (!source.ok) throw new Error(`provider answered ${source.status}`);
  const bytes = await source.blob();
  const upload = await api(`/v1/media/${encodeURIComponent(output.media_id)}/upload`, { method: "POST" });
  const put = await fetch(upload.url, { method: upload.method, headers: upload.headers, body: bytes });
  if (!put.ok) throw new Error(`bucket answered ${put.status}`);
  return api(`/v1/media/${encodeURIComponent(output.media_id)}/complete`, { method: "POST" });
}
