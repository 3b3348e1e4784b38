// The relayer's JSON-RPC provider: ethers' JsonRpcProvider (batching, errors, timeouts, throttling retries,
// FetchRequest), with request and response bodies converted by Node's native UTF-8 codec. ethers converts them a
// character at a time in JavaScript: for the replies of a payment run (receipts of 100-item batches, hundreds of
// eth_calls) that was ~0.6 s of the event loop per 2,000 payments.
import { JsonRpcProvider, makeError, type JsonRpcPayload, type JsonRpcResult } from "ethers";

export class RpcProvider extends JsonRpcProvider {
  /** As JsonRpcProvider._send: one POST of `payload` (a request or a batch), the reply as an array. */
  override async _send(payload: JsonRpcPayload | JsonRpcPayload[]): Promise<JsonRpcResult[]> {
    const request = this._getConnection();
    request.body = Buffer.from(JSON.stringify(payload), "utf8");
    request.setHeader("content-type", "application/json");
    const response = await request.send();
    response.assertOk();
    const body = response.body;
    let reply: unknown;
    try {
      reply = JSON.parse(body === null ? "" : Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString("utf8"));
    } catch {
      // ethers' own error for a reply that is not JSON (FetchResponse.bodyJson)
      throw makeError("response body is not valid JSON", "UNSUPPORTED_OPERATION", { operation: "bodyJson", info: { response } });
    }
    // Errors as well as results: ethers' batching sorts them out by id (JsonRpcProvider types both as results).
    return (Array.isArray(reply) ? reply : [reply]) as JsonRpcResult[];
  }
}
