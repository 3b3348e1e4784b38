// A real HTTP server on 127.0.0.1, port 0, for an express app under test.
import type { AddressInfo } from "node:net";

import type { Express } from "express";

export interface Served {
  url: string;
  close(): Promise<void>;
}

export async function serve(app: Express): Promise<Served> {
  const server = app.listen(0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

export interface ErrorShape {
  error: { type: string; code: string; message: string; param: string | null; request_id: string | null };
}

export async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
}
