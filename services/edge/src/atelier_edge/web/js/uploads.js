// Input files picked from disk: the edge records one and signs a PUT straight into the bucket;
// the page sends the bytes there, and the generation reads the file by the returned URL.

import { api } from "./api.js";

// The types the edge accepts, by the kind of input field; other kinds offer no file picker.
export const UPLOAD_TYPES = {
  image: ["image/png", "image/jpeg", "image/webp"],
  audio: ["audio/mpeg", "audio/wav", "audio/x-wav", "audio/mp4"],
};

export class UploadFailed extends Error {}

// Resolves to the URL the generation reads the file from. A type the edge would refuse is
// explained before anything is sent.
export async function uploadInput(file, kind) {
  if (!UPLOAD_TYPES[kind].includes(file.type)) {
    const names = UPLOAD_TYPES[kind].map((type) => type.split("/")[1].toUpperCase()).join(", ");
    throw new UploadFailed(`${file.name}: this ${kind} type is not accepted; use ${names}.`);
  }
  const created = await api("/v1/uploads", {
    method: "POST",
    body: { content_type: file.type, bytes: file.size },
  });
  const put = await fetch(created.upload.url, {
    method: created.upload.method,
    headers: created.upload.headers,
    body: file,
  }).catch(() => null);
  if (!put || !put.ok) {
    throw new UploadFailed(`${file.name} could not be uploaded${put ? ` (storage answered ${put.status})` : ""}. Try again.`);
  }
  return created.url;
}
