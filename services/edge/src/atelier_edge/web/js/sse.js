// Server-sent events read with fetch, so the stream carries the bearer token and, after a
// reload, the Last-Event-ID of the last event seen (EventSource can send neither on its first
// request). Reconnects after the server's `retry:` delay and resumes from the last id.

const DEFAULT_RETRY_MS = 1000;

export function openStream(url, { lastEventId = "", headers, onEvent, onRefused }) {
  const controller = new AbortController();
  const state = { lastEventId, retryMs: DEFAULT_RETRY_MS, closed: false };

  async function connectLoop() {
    while (!state.closed) {
      try {
        const response = await fetch(url, {
          headers: {
            Accept: "text/event-stream",
            ...headers(),
            ...(state.lastEventId ? { "Last-Event-ID": state.lastEventId } : {}),
          },
          cache: "no-store",
          signal: controller.signal,
        });
        if (!response.ok || !response.body) {
          // A refusal (404, 401...) will not change by retrying: the caller decides.
          state.closed = true;
          onRefused(response.status);
          return;
        }
        await readEvents(response.body, state, onEvent);
      } catch {
        // The connection dropped (or the page is leaving): try again unless closed.
      }
      if (!state.closed) await new Promise((resolve) => setTimeout(resolve, state.retryMs));
    }
  }
  connectLoop();
  return {
    close() {
      state.closed = true;
      controller.abort();
    },
  };
}

async function readEvents(body, state, onEvent) {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  let event = { type: "", data: [] };
  for (;;) {
    const { value, done } = await reader.read();
    if (done || state.closed) return;
    buffer += value;
    const lines = buffer.split("\n");
    buffer = lines.pop();
    for (const raw of lines) {
      const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
      if (line === "") {
        if (event.data.length) {
          onEvent({ type: event.type || "message", data: event.data.join("\n"), id: state.lastEventId });
        }
        event = { type: "", data: [] };
        if (state.closed) return;
        continue;
      }
      if (line.startsWith(":")) continue; // a heartbeat or comment
      const colon = line.indexOf(":");
      const field = colon === -1 ? line : line.slice(0, colon);
      let value = colon === -1 ? "" : line.slice(colon + 1);
      if (value.startsWith(" ")) value = value.slice(1);
      if (field === "event") event.type = value;
      else if (field === "data") event.data.push(value);
      else if (field === "id" && !value.includes("\0")) state.lastEventId = value;
      else if (field === "retry" && /^\d+$/.test(value)) state.retryMs = Number(value);
    }
  }
}
