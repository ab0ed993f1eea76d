/**
 * The seed article's streaming protocol, ported line for line so the bench can run it side by side
 * with ours on the same model, the same `@connections` endpoint and the same client socket.
 *
 * The seed's Python Lambda (`readStreamMsg`) appended each model token to `msg` and, after every
 * token, posted `{request_id, msg}` — the WHOLE text so far — with a synchronous
 * `post_to_connection`, then one last `{request_id, msg, status: 'completed'}`. We keep exactly
 * that shape and that one-post-per-token, awaited-in-turn rhythm; only the language differs.
 * The body is serialized as Python's `json.dumps(body)` does by default (`ensure_ascii=True`, so
 * every Hangul syllable travels as a 6-byte `\uXXXX` escape, and `', '`/`': '` separators),
 * because those are the bytes the seed put on the wire.
 */
import { ApiGatewayManagementApiClient, PostToConnectionCommand } from '@aws-sdk/client-apigatewaymanagementapi';
import { BedrockRuntimeClient, ConverseStreamCommand } from '@aws-sdk/client-bedrock-runtime';

/** Where the seed's Lambda talks to. */
export interface SeedEndpoints {
  /** `@connections` base URL (same one our chat handler posts to). */
  readonly connectionsEndpoint: string;
  /** Bedrock Runtime endpoint (the local model server). */
  readonly bedrockEndpoint: string;
  readonly modelId: string;
}

const LOCAL = { region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };

/** A JSON string literal as Python's json.dumps writes it by default: non-ASCII as lowercase \uXXXX. */
function pythonJsonString(value: string): string {
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** `json.dumps(body)` with Python's defaults, for a flat object of strings. */
export function pythonJsonDumps(body: Record<string, string>): string {
  return `{${Object.entries(body).map(([k, v]) => `${pythonJsonString(k)}: ${pythonJsonString(v)}`).join(', ')}}`;
}

/** One seed "Lambda": long-lived SDK clients, as a warm Lambda keeps them. */
export class SeedProtocol {
  private readonly api: ApiGatewayManagementApiClient;
  private readonly bedrock: BedrockRuntimeClient;

  constructor(private readonly endpoints: SeedEndpoints) {
    this.api = new ApiGatewayManagementApiClient({ ...LOCAL, endpoint: endpoints.connectionsEndpoint });
    this.bedrock = new BedrockRuntimeClient({ ...LOCAL, endpoint: endpoints.bedrockEndpoint });
  }

  /** The seed's `sendMessage(id, body)`: one PostToConnection of the JSON body. */
  private async sendMessage(connectionId: string, body: Record<string, string>): Promise<void> {
    await this.api.send(new PostToConnectionCommand({ ConnectionId: connectionId, Data: Buffer.from(pythonJsonDumps(body)) }));
  }

  /**
   * Answers one user message the seed's way: streams the model and, after every token, posts the
   * whole text so far. Returns the answer and how many posts it took.
   */
  public async answer(connectionId: string, requestId: string, text: string): Promise<{ msg: string; posts: number }> {
    const out = await this.bedrock.send(new ConverseStreamCommand({
      modelId: this.endpoints.modelId,
      messages: [{ role: 'user', content: [{ text }] }],
    }));
    let msg = '';
    let posts = 0;
    for await (const event of out.stream ?? []) {
      const token = event.contentBlockDelta?.delta?.text;
      if (token === undefined) continue;
      msg = msg + token;
      await this.sendMessage(connectionId, { request_id: requestId, msg });
      posts++;
    }
    await this.sendMessage(connectionId, { request_id: requestId, msg, status: 'completed' });
    posts++;
    return { msg, posts };
  }

  /** Releases the SDK clients' sockets. */
  public destroy(): void {
    this.api.destroy();
    this.bedrock.destroy();
  }
}
