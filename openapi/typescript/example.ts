// A small integrator program on openapi-fetch, type-checked in CI with `tsc --strict`
// against the types openapi-typescript generates from openapi.json (schema.d.ts, not
// committed). See docs/integrators.md.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema";

type Entity = components["schemas"]["EntityRead"];
type Problem = components["schemas"]["Problem"];

const api = createClient<paths>({ baseUrl: "http://127.0.0.1:8000" });

export async function signIn(email: string, password: string): Promise<string> {
  const { data, error } = await api.POST("/v1/auth/token", {
    body: { grant_type: "password", username: email, password },
    bodySerializer: () => new URLSearchParams({ grant_type: "password", username: email, password }),
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
  });
  if (error) throw new Error(`sign-in failed: ${error.code}`);
  return data.access_token;
}

export async function allEntities(token: string): Promise<Entity[]> {
  const items: Entity[] = [];
  let cursor: string | undefined;
  do {
    const { data, error } = await api.GET("/v1/entities", {
      params: { query: { limit: 200, cursor, order_by: "-name" } },
      headers: { Authorization: `Bearer ${token}` },
    });
    if (error) throw new Error(`${error.status} ${error.code}: ${error.detail}`);
    items.push(...data.items);
    cursor = data.next_cursor ?? undefined;
  } while (cursor !== undefined);
  return items;
}

export async function createEntity(token: string, name: string, ownerId: string): Promise<Entity> {
  const { data, error, response } = await api.POST("/v1/entities", {
    body: { name, kind: "company", owner_id: ownerId },
    params: { header: { "Idempotency-Key": crypto.randomUUID() } },
    headers: { Authorization: `Bearer ${token}` },
  });
  if (error) throw new Error(error.code);
  console.log("created at", response.headers.get("Location"), "version", response.headers.get("ETag"));
  return data;
}

/** Renames an entity unless someone changed it since `etag` was read (412 `stale_etag`). */
export async function rename(
  token: string,
  id: string,
  name: string,
  etag: string,
): Promise<Entity | Problem> {
  const { data, error } = await api.PATCH("/v1/entities/{entity_id}", {
    params: { path: { entity_id: id }, header: { "If-Match": etag } },
    body: { name },
    headers: { Authorization: `Bearer ${token}` },
  });
  return error ?? data;
}

export async function download(token: string, fileId: string): Promise<Blob> {
  const { data, error } = await api.GET("/v1/files/{file_id}/content", {
    params: { path: { file_id: fileId }, header: { Range: "bytes=0-1023" } },
    headers: { Authorization: `Bearer ${token}` },
    parseAs: "blob",
  });
  if (error) throw new Error(error.code);
  return data;
}
