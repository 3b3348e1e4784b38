// A merchant's webhook receiver on 127.0.0.1 that verifies every request with the `standardwebhooks` package, as a
// merchant would. Shared by the payment and receivable webhook tests.
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";

import { Webhook } from "standardwebhooks";

export interface Delivery {
  webhookId: string;
  /** What `new Webhook(secret).verify(body, headers)` returned; undefined if it threw. */
  payload: { id: string; type: string; created_at: number; data: { object: { id: string } } & Record<string, any> } | undefined;
  verifyError: Error | undefined;
}

export interface Receiver {
  url: string;
  deliveries: Delivery[];
  /** Set once the endpoint is created: the receiver verifies with it. */
  secret: string;
  close(): Promise<void>;
}

/** A merchant's webhook receiver on 127.0.0.1; `status(n)` answers its n-th request (from 1). */
export async function startWebhookReceiver(status: (n: number) => number = () => 200): Promise<Receiver> {
  const receiver: Receiver = { url: "", deliveries: [], secret: "", close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      const headers = Object.fromEntries(Object.entries(req.headers).filter((e): e is [string, string] => typeof e[1] === "string"));
      const delivery: Delivery = { webhookId: headers["webhook-id"] ?? "", payload: undefined, verifyError: undefined };
      try {
        delivery.payload = new Webhook(receiver.secret).verify(body, headers) as Delivery["payload"];
      } catch (error) {
        delivery.verifyError = error as Error;
      }
      receiver.deliveries.push(delivery);
      res.writeHead(status(receiver.deliveries.length)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  receiver.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}
