// The running generation: a progress bar fed by the event stream, a cancel button, and its id
// and last event id kept in sessionStorage so a reload picks the stream up where it was.

import { api, authorization } from "./api.js";
import { $ } from "./dom.js";
import { openStream } from "./sse.js";

const KEY = "atelier.run";
const FINAL = new Set(["succeeded", "failed", "canceled"]);
const POLL_MS = 1000;

export class Run {
  // `onFinished(generation, label)` runs once, with the generation as the edge has it at the end.
  constructor({ onFinished, describe }) {
    this.onFinished = onFinished;
    this.describe = describe;
    this.current = null;
    this.bar = $("#progress");
    this.status = $("#run-status");
    this.cancelButton = $("#cancel");
    this.cancelButton.addEventListener("click", () => this.cancel());
  }

  get active() {
    return this.current !== null;
  }

  follow(generation) {
    this.stop();
    this.current = { id: generation.id, label: this.describe(generation), lastEventId: "" };
    this.save();
    this.cancelButton.disabled = false;
    this.show(generation.status, generation.progress);
    this.listen();
  }

  async resume() {
    let saved = null;
    try {
      saved = JSON.parse(sessionStorage.getItem(KEY) || "null");
    } catch {
      saved = null;
    }
    if (!saved || typeof saved.id !== "string") return false;
    let generation;
    try {
      generation = await api(`/v1/generations/${encodeURIComponent(saved.id)}`);
    } catch {
      sessionStorage.removeItem(KEY);
      return false;
    }
    this.current = { id: saved.id, label: this.describe(generation), lastEventId: saved.lastEventId || "" };
    if (FINAL.has(generation.status)) {
      this.finish(generation);
      return true;
    }
    this.cancelButton.disabled = false;
    this.show(generation.status, generation.progress);
    this.listen();
    return true;
  }

  listen() {
    const id = this.current.id;
    this.stream = openStream(`/v1/generations/${encodeURIComponent(id)}/events`, {
      lastEventId: this.current.lastEventId,
      headers: authorization,
      onEvent: (event) => this.onEvent(id, event),
      // 204: it ended before the id given. Without the stream (an older edge), the generation
      // is read once a second instead.
      onRefused: (status) => {
        if (status === 401) this.stop();
        else if (status === 204) this.settle(id);
        else this.poll(id);
      },
    });
  }

  onEvent(id, event) {
    if (!this.current || this.current.id !== id) return;
    this.current.lastEventId = event.id;
    this.save();
    let data = {};
    try {
      data = JSON.parse(event.data);
    } catch {
      data = {};
    }
    if (FINAL.has(event.type)) {
      this.stream.close();
      this.settle(id);
    } else if (data.status || data.progress !== undefined) {
      // queued, started, progress, or the snapshot a stream opens with
      this.show(data.status || "running", Number(data.progress ?? this.bar.value));
    }
  }

  async poll(id) {
    while (this.current && this.current.id === id) {
      try {
        const generation = await api(`/v1/generations/${encodeURIComponent(id)}`);
        if (FINAL.has(generation.status)) return this.finish(generation);
        this.show(generation.status, generation.progress);
      } catch {
        // A passing failure: try again on the next tick.
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    }
  }

  async settle(id) {
    // The final event names the outcome; the outputs and settled credits are read once.
    for (;;) {
      try {
        return this.finish(await api(`/v1/generations/${encodeURIComponent(id)}`));
      } catch {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
    }
  }

  finish(generation) {
    const label = this.current ? this.current.label : generation.id;
    this.stop();
    this.show(generation.status, generation.status === "succeeded" ? 100 : this.bar.value);
    this.onFinished(generation, label);
  }

  async cancel() {
    if (!this.current) return;
    this.cancelButton.disabled = true;
    this.status.textContent = "Canceling…";
    try {
      const generation = await api(`/v1/generations/${encodeURIComponent(this.current.id)}/cancel`, { method: "POST" });
      if (FINAL.has(generation.status)) this.finish(generation);
    } catch (problem) {
      this.status.textContent = `Could not cancel: ${problem.message}`;
      this.cancelButton.disabled = false;
    }
  }

  stop() {
    if (this.stream) this.stream.close();
    this.stream = null;
    this.current = null;
    sessionStorage.removeItem(KEY);
    this.cancelButton.disabled = true;
  }

  save() {
    if (this.current) sessionStorage.setItem(KEY, JSON.stringify({ id: this.current.id, lastEventId: this.current.lastEventId }));
  }

  show(status, progress) {
    const percent = Math.max(0, Math.min(100, Math.round(Number(progress) || 0)));
    this.bar.value = percent;
    this.bar.dataset.status = status;
    const words = {
      queued: "Waiting to start",
      running: `Generating: ${percent}%`,
      succeeded: "Done.",
      failed: "It failed; your credits were returned.",
      canceled: "Canceled; your credits were returned.",
    };
    // Announced politely, so only at steps of ten percent and on each change of state.
    const text = words[status] || status;
    const step = status === "running" ? `Generating: ${Math.floor(percent / 10) * 10}%` : text;
    if (this.status.dataset.step !== step) {
      this.status.dataset.step = step;
      this.status.textContent = status === "running" ? step : text;
    }
  }
}
