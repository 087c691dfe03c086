/**
 * A minimal JSON client over node:http with keep-alive sockets: real HTTP
 * through the loopback interface, little client-side overhead. `ms` is the
 * time from sending the request to receiving the whole body (JSON parsing
 * of the response is not counted).
 */
import http from 'node:http';

export interface Reply<T> {
  status: number;
  body: T;
  ms: number;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    what: string,
  ) {
    super(`${what} → HTTP ${status}: ${JSON.stringify(body).slice(0, 500)}`);
  }
}

export class Api {
  private readonly agent: http.Agent;
  private readonly url: URL;

  constructor(
    baseUrl: string,
    private readonly token: string,
    sockets = 32,
  ) {
    this.url = new URL(baseUrl);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: sockets });
  }

  request<T>(method: string, path: string, body?: unknown): Promise<Reply<T>> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const start = performance.now();
      const req = http.request(
        {
          host: this.url.hostname,
          port: this.url.port,
          method,
          path,
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.token}`,
            accept: 'application/json',
            ...(payload !== undefined
              ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) }
              : {}),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            const ms = performance.now() - start;
            const text = Buffer.concat(chunks).toString('utf8');
            try {
              resolve({
                status: res.statusCode ?? 0,
                body: (text ? JSON.parse(text) : null) as T,
                ms,
              });
            } catch (err) {
              reject(
                new Error(`${method} ${path}: response is not JSON: ${text.slice(0, 200)}`, {
                  cause: err,
                }),
              );
            }
          });
        },
      );
      req.on('error', reject);
      req.setTimeout(600_000, () => req.destroy(new Error(`${method} ${path}: timed out`)));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  /** Like `request`, but anything other than `expect` throws. */
  async ok<T>(method: string, path: string, body?: unknown, expect = 200): Promise<Reply<T>> {
    const r = await this.request<T>(method, path, body);
    if (r.status !== expect) throw new ApiError(r.status, r.body, `${method} ${path}`);
    return r;
  }

  close(): void {
    this.agent.destroy();
  }
}
