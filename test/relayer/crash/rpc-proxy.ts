// A loopback HTTP proxy in front of the JSON-RPC node, to take the relayer's RPC away in the ways networks fail:
//   pass     forwards every request;
//   refuse   the port is closed: connections are refused, open ones are cut;
//   stall    connections are accepted, requests are read and never answered while it lasts; when the link heals,
//            the held requests go through (as TCP would deliver them once the network is back);
// plus `failMethods`: JSON-RPC requests calling one of these methods get a 502 (a flaky gateway).
import http from "node:http";
import type { AddressInfo, Socket } from "node:net";

export type ProxyMode = "pass" | "refuse" | "stall";

export class RpcProxy {
  readonly failMethods = new Set<string>();
  readonly stats = { forwarded: 0, stalled: 0, failed: 0, cut: 0 };
  #mode: ProxyMode = "pass";
  #held: Array<() => void> = [];
  #sockets = new Set<Socket>();
  readonly #server: http.Server;

  private constructor(
    private readonly upstream: URL,
    readonly port: number,
    server: http.Server,
  ) {
    this.#server = server;
  }

  static async start(upstream: string): Promise<RpcProxy> {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const proxy = new RpcProxy(new URL(upstream), (server.address() as AddressInfo).port, server);
    server.on("connection", (socket: Socket) => {
      proxy.#sockets.add(socket);
      socket.once("close", () => proxy.#sockets.delete(socket));
    });
    server.on("request", (req, res) => proxy.#handle(req, res));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get mode(): ProxyMode {
    return this.#mode;
  }

  async setMode(mode: ProxyMode): Promise<void> {
    if (mode === this.#mode) return;
    const previous = this.#mode;
    this.#mode = mode;
    if (mode === "refuse") {
      await new Promise<void>((resolve) => {
        this.#server.close(() => resolve());
        for (const socket of this.#sockets) {
          this.stats.cut++;
          socket.destroy();
        }
      });
    } else if (previous === "refuse") {
      await new Promise<void>((resolve, reject) => {
        this.#server.once("error", reject);
        this.#server.listen(this.port, "127.0.0.1", () => {
          this.#server.off("error", reject);
          resolve();
        });
      });
    }
    if (mode !== "stall") for (const release of this.#held.splice(0)) release();
  }

  async close(): Promise<void> {
    this.#mode = "refuse";
    this.#held.splice(0);
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => (this.#server.listening ? this.#server.close(() => resolve()) : resolve()));
  }

  #handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const forward = () => this.#forward(req, res, body);
      if (this.#mode === "stall") {
        this.stats.stalled++;
        this.#held.push(forward);
      } else {
        forward();
      }
    });
  }

  #forward(req: http.IncomingMessage, res: http.ServerResponse, body: Buffer): void {
    if (res.destroyed) return;
    if (this.failMethods.size > 0 && this.#calls(body).some((method) => this.failMethods.has(method))) {
      this.stats.failed++;
      res.writeHead(502, { "content-type": "text/plain" }).end("bad gateway (injected)");
      return;
    }
    this.stats.forwarded++;
    const upstream = http.request(
      { host: this.upstream.hostname, port: this.upstream.port, path: req.url, method: req.method, headers: { ...req.headers, host: this.upstream.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => res.destroy());
    upstream.end(body);
  }

  #calls(body: Buffer): string[] {
    try {
      const parsed = JSON.parse(body.toString("utf8")) as { method?: string } | { method?: string }[];
      return (Array.isArray(parsed) ? parsed : [parsed]).map((call) => String(call.method));
    } catch {
      return [];
    }
  }
}
