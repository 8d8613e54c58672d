// The edge's HTTP API: every call carries the signed-in account's bearer token, and every
// refusal arrives as an ApiProblem built from the problem+json body.

let token = null;
let onUnauthenticated = () => {};

export function useToken(value, whenRefused) {
  token = value;
  if (whenRefused) onUnauthenticated = whenRefused;
}

export function authorization() {
  return token ? { Authorization: `Bearer ${token}` } : {};
}

export class ApiProblem extends Error {
  constructor(status, body) {
    super(body.detail || body.title || `HTTP ${status}`);
    this.status = status;
    this.type = String(body.type || "").split("/").pop();
    this.body = body;
  }
}

export async function api(path, { method = "GET", body, headers = {}, signal } = {}) {
  const init = { method, headers: { ...authorization(), ...headers }, signal };
  if (body !== undefined) {
    init.body = JSON.stringify(body);
    init.headers["Content-Type"] = "application/json";
  }
  const response = await fetch(path, init);
  const text = await response.text();
  let parsed = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = { title: text.slice(0, 200) };
  }
  if (!response.ok) {
    const problem = new ApiProblem(response.status, parsed);
    if (response.status === 401 && token) onUnauthenticated(problem);
    throw problem;
  }
  return parsed;
}
