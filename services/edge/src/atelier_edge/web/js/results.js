// A generation's outputs: images shown, video and audio playable, each with a download link.

import { el } from "./dom.js";

export function showResults(container, generation, label) {
  container.replaceChildren(
    ...generation.outputs.map((output, index) => figure(output, index, generation.outputs.length, label)),
  );
}

function figure(output, index, count, label) {
  const name = count > 1 ? `${label}, result ${index + 1} of ${count}` : `${label}, result`;
  const type = output.content_type || "";
  let media;
  if (type.startsWith("image/")) {
    media = el("img", { src: output.url, alt: name, decoding: "async" });
  } else if (type.startsWith("video/")) {
    media = el("video", { src: output.url, controls: true, preload: "metadata", playsinline: true, "aria-label": name });
  } else if (type.startsWith("audio/")) {
    media = el("audio", { src: output.url, controls: true, preload: "metadata", "aria-label": name });
  } else {
    media = el("p", { text: name });
  }
  const link = el("a", { href: output.url, download: "", "data-media-id": output.media_id, text: "Download" });
  link.setAttribute("aria-label", `Download ${name}`);
  return el(
    "figure",
    { class: "result", "data-media-id": output.media_id },
    media,
    el("figcaption", {}, el("span", { text: type }), link),
  );
}

// After the transfer, downloads come from our bucket rather than the provider's short-lived URL.
export function useStoredLinks(container, stored) {
  for (const [mediaId, media] of Object.entries(stored)) {
    const link = container.querySelector(`a[data-media-id="${CSS.escape(mediaId)}"]`);
    if (link && media && media.status === "stored" && media.url) link.href = media.url;
  }
}
