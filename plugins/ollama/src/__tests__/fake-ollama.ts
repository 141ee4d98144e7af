// A fake Ollama server over real HTTP, for the plugin's tests and the gateway benchmark.
//
// Follows the published API documents in ../shared/specs/ollama/: api.md and openapi.yaml
// (github.com/ollama/ollama docs/, commit fb30760): /api/generate, /api/chat (NDJSON streamed
// line by line, `stream: false` one JSON object; the final object with done, done_reason,
// total_duration, load_duration, prompt_eval_count, prompt_eval_duration, eval_count,
// eval_duration, durations in nanoseconds, zero counts omitted), /api/embed, /api/embeddings,
// /api/tags, /api/show, /api/ps, /api/version, /api/pull, /api/push, /api/create, /api/copy,
// /api/delete, HEAD/POST /api/blobs/:digest, errors as {"error": "..."}.
// The OpenAI-compatible endpoints (/v1/chat/completions, /v1/completions, /v1/embeddings,
// /v1/models, /v1/models/:model) are not in those documents; they follow Ollama's
// "OpenAI compatibility" page (docs.ollama.com/api/openai-compatibility, docs/openai.md in the
// same repository) and the OpenAI API shapes it names: SSE `data: {chunk}` events and
// `data: [DONE]`, the usage chunk (choices: []) only with stream_options.include_usage, usage
// always in non-streamed answers, errors as {"error": {"message", "type", "param", "code"}}.
//
// Deterministic: ids, timestamps, answers, token counts and durations follow from the request
// alone, so the same request sent directly and through the gateway gets the same answer.
// Self-contained (node: imports only) so the benchmark can run it in a process of its own.
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface FakeModel {
  name: string;
  family?: string;
  parameterSize?: string;
  /** an embedding model answers only the embedding routes' questions (chat on it is a 400) */
  embedding?: boolean;
}

export interface FakeRequest {
  method: string;
  path: string;
  query: string;
  headers: IncomingMessage['headers'];
  rawBody: string;
  /** the parsed JSON body, if it was JSON */
  body: unknown;
}

/** What the fake reported for one inference request (for assertions on metering). */
export interface FakeReport {
  path: string;
  model: string;
  promptTokens: number;
  completionTokens: number;
  /** nanoseconds; 0 where Ollama reports none (the OpenAI-compatible routes, /api/embeddings) */
  totalDuration: number;
}

export const DEFAULT_MODELS: FakeModel[] = [
  { name: 'llama3.2:latest', family: 'llama', parameterSize: '3.2B' },
  { name: 'llama3.1:70b', family: 'llama', parameterSize: '70.6B' },
  { name: 'mistral:latest', family: 'llama', parameterSize: '7.2B' },
  { name: 'all-minilm:latest', family: 'bert', parameterSize: '23M', embedding: true },
];

/** 2025-01-01T00:00:00Z: every timestamp the fake writes is this plus a few milliseconds. */
const EPOCH_MS = Date.UTC(2025, 0, 1);
const EPOCH_S = EPOCH_MS / 1000;
const LOAD_NS = 1_234_567;
const PROMPT_NS_PER_TOKEN = 1_000_003;
const EVAL_NS_PER_TOKEN = 20_000_011;
const EMBED_NS_PER_TOKEN = 500_001;
const DIMENSIONS = 8;

type Obj = Record<string, unknown>;
const isObject = (value: unknown): value is Obj => value !== null && typeof value === 'object' && !Array.isArray(value);

function words(text: unknown): string[] {
  return typeof text === 'string' ? text.split(/\s+/).filter(Boolean) : [];
}

function digestOf(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** A number from the request, for ids: the same request gets the same id. */
function numberOf(value: unknown, modulo: number): number {
  return parseInt(digestOf(JSON.stringify(value)).slice(0, 8), 16) % modulo;
}

function timestamp(offsetMs: number): string {
  return new Date(EPOCH_MS + offsetMs).toISOString().replace('Z', '000000Z');
}

/** The answer's tokens: "Echo:" and up to 8 words of the prompt, each with its leading space. */
function answerTokens(prompt: string): string[] {
  return ['Echo:', ...words(prompt).slice(0, 8).map((w) => ` ${w}`)];
}

/** A deterministic unit-ish vector for a text, as float32 values (exact in JSON and in base64). */
function vector(text: string, dimensions = DIMENSIONS): number[] {
  const hash = createHash('sha256').update(text).digest();
  return Array.from({ length: dimensions }, (_, i) => Math.fround((hash[i % hash.length] - 128) / 256));
}

function base64Floats(values: number[]): string {
  const buffer = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => buffer.writeFloatLE(v, i * 4));
  return buffer.toString('base64');
}

function nativeMetrics(promptTokens: number, completionTokens: number): Obj {
  const promptNs = promptTokens * PROMPT_NS_PER_TOKEN;
  const evalNs = completionTokens * EVAL_NS_PER_TOKEN;
  // Ollama omits zero values (omitempty)
  const metrics: Obj = { total_duration: LOAD_NS + promptNs + evalNs, load_duration: LOAD_NS };
  if (promptTokens) Object.assign(metrics, { prompt_eval_count: promptTokens, prompt_eval_duration: promptNs });
  if (completionTokens) Object.assign(metrics, { eval_count: completionTokens, eval_duration: evalNs });
  return metrics;
}

export class FakeOllama {
  url = '';
  readonly requests: FakeRequest[] = [];
  /** per inference request, what the fake reported (in the order answered) */
  readonly reports: FakeReport[] = [];
  readonly version: string;
  private models: FakeModel[];
  private readonly blobs = new Set<string>();
  private failStatus: number | null = null;
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly settings: { models?: FakeModel[]; version?: string; chunkDelayMs?: number } = {}) {
    this.models = [...(settings.models ?? DEFAULT_MODELS)];
    this.version = settings.version ?? '0.12.6';
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Answers every request with `status` (null: normal again). */
  failWith(status: number | null): void {
    this.failStatus = status;
  }

  /** Forgets recorded requests and reports; the models go back to the ones it started with. */
  reset(): void {
    this.requests.length = 0;
    this.reports.length = 0;
    this.models = [...(this.settings.models ?? DEFAULT_MODELS)];
    this.blobs.clear();
    this.failStatus = null;
  }

  /** Requests that reached the fake on `path` (e.g. '/api/chat'). */
  requestsTo(path: string): FakeRequest[] {
    return this.requests.filter((r) => r.path === path);
  }

  private find(name: unknown): FakeModel | undefined {
    if (typeof name !== 'string') return undefined;
    const wanted = name.includes(':') ? name : `${name}:latest`;
    return this.models.find((m) => m.name === wanted);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    let body: unknown;
    try {
      body = rawBody ? JSON.parse(rawBody) : undefined;
    } catch {
      body = undefined;
    }
    const [path, query = ''] = (req.url ?? '/').split('?');
    const method = req.method ?? 'GET';
    this.requests.push({ method, path, query, headers: req.headers, rawBody, body });
    if (this.failStatus !== null) return this.json(res, this.failStatus, { error: `failing on purpose with ${this.failStatus}` });
    try {
      await this.route(method, path, rawBody, body, res);
    } catch (error) {
      if (!res.headersSent) this.json(res, 500, { error: String(error) });
      else res.destroy();
    }
  }

  private async route(method: string, path: string, rawBody: string, body: unknown, res: ServerResponse): Promise<void> {
    // Ollama reads the body as JSON whatever its content type (curl -d sends a form type)
    const b = isObject(body) ? body : {};
    const key = `${method} ${path}`;
    if (path.startsWith('/api/blobs/')) return this.blob(method, path.slice('/api/blobs/'.length), rawBody, res);
    if (path.startsWith('/v1/models/') && method === 'GET') return this.openAiModel(decodeURIComponent(path.slice('/v1/models/'.length)), res);
    switch (key) {
      case 'GET /api/version':
        return this.json(res, 200, { version: this.version });
      case 'GET /api/tags':
        return this.json(res, 200, { models: this.models.map((m) => this.tag(m)) });
      case 'GET /api/ps':
        return this.json(res, 200, { models: [] });
      case 'POST /api/show':
        return this.show(b, res);
      case 'POST /api/chat':
      case 'POST /api/generate':
        return this.generate(path, b, res);
      case 'POST /api/embed':
        return this.embed(b, res);
      case 'POST /api/embeddings':
        return this.embeddings(b, res);
      case 'POST /api/pull':
        return this.pull(b, res);
      case 'POST /api/push':
        return this.progress(b, res, ['retrieving manifest', 'pushing manifest', 'success']);
      case 'POST /api/create':
        return this.create(b, res);
      case 'POST /api/copy':
        return this.copy(b, res);
      case 'DELETE /api/delete':
        return this.remove(b, res);
      case 'POST /v1/chat/completions':
      case 'POST /v1/completions':
        return this.openAiCompletion(path, b, res);
      case 'POST /v1/embeddings':
        return this.openAiEmbeddings(b, res);
      case 'GET /v1/models':
        return this.json(res, 200, { object: 'list', data: this.models.map((m) => this.openAiModelEntry(m)) });
      default:
        return this.json(res, 404, { error: `404 page not found` });
    }
  }

  // ---- native API ------------------------------------------------------------------------------

  private tag(m: FakeModel): Obj {
    return {
      name: m.name,
      model: m.name,
      modified_at: timestamp(0).replace('Z', '+00:00'),
      size: 1_000_000 + m.name.length,
      digest: digestOf(m.name),
      details: {
        parent_model: '',
        format: 'gguf',
        family: m.family ?? 'llama',
        families: [m.family ?? 'llama'],
        parameter_size: m.parameterSize ?? '7B',
        quantization_level: 'Q4_K_M',
      },
    };
  }

  private show(b: Obj, res: ServerResponse): void {
    const model = this.find(b.model ?? b.name);
    if (!model) return this.json(res, 404, { error: `model '${String(b.model ?? b.name)}' not found` });
    this.json(res, 200, {
      modelfile: `# Modelfile generated by "ollama show"\nFROM ${model.name}\n`,
      parameters: 'stop "<|eot_id|>"',
      template: '{{ .Prompt }}',
      details: (this.tag(model) as { details: Obj }).details,
      model_info: { 'general.architecture': model.family ?? 'llama', 'general.parameter_count': 1_000_000 },
      capabilities: model.embedding ? ['embedding'] : ['completion'],
      modified_at: timestamp(0).replace('Z', '+00:00'),
    });
  }

  private missing(res: ServerResponse, name: unknown): void {
    this.json(res, 404, { error: `model "${String(name)}" not found, try pulling it first` });
  }

  private async generate(path: string, b: Obj, res: ServerResponse): Promise<void> {
    if (typeof b.model !== 'string' || !b.model) return this.json(res, 400, { error: 'model is required' });
    const model = this.find(b.model);
    if (!model) return this.missing(res, b.model);
    if (model.embedding) return this.json(res, 400, { error: `"${b.model}" does not support ${path === '/api/chat' ? 'chat' : 'generate'}` });
    const chat = path === '/api/chat';
    const messages = Array.isArray(b.messages) ? b.messages.filter(isObject) : [];
    const promptText = chat ? messages.map((m) => String(m.content ?? '')).join(' ') : [b.system, b.prompt].filter((t) => typeof t === 'string').join(' ');
    const promptTokens = words(promptText).length;
    // an empty prompt only loads the model (api.md "Load a model"): no answer, no metrics
    const loadOnly = !chat && words(b.prompt).length === 0;
    const tokens = loadOnly ? [] : answerTokens(chat ? String(messages.at(-1)?.content ?? '') : String(b.prompt));
    const name = b.model;
    const part = (text: string, i: number): Obj =>
      chat ? { model: name, created_at: timestamp(i), message: { role: 'assistant', content: text }, done: false } : { model: name, created_at: timestamp(i), response: text, done: false };
    const final = (text: string): Obj => ({
      ...part(text, tokens.length),
      done: true,
      done_reason: loadOnly ? 'load' : 'stop',
      ...(!chat && !loadOnly ? { context: [1, 2, 3] } : {}),
      ...(loadOnly ? {} : nativeMetrics(promptTokens, tokens.length)),
    });
    this.reports.push({ path, model: name, promptTokens: loadOnly ? 0 : promptTokens, completionTokens: tokens.length, totalDuration: loadOnly ? 0 : (nativeMetrics(promptTokens, tokens.length).total_duration as number) });
    if (b.stream === false || loadOnly) return this.json(res, 200, final(tokens.join('')));
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (const [i, token] of tokens.entries()) {
      res.write(`${JSON.stringify(part(token, i))}\n`);
      await this.pause();
    }
    res.end(`${JSON.stringify(final(''))}\n`);
  }

  private embed(b: Obj, res: ServerResponse): void {
    const model = this.find(b.model);
    if (!model) return this.missing(res, b.model);
    const inputs = Array.isArray(b.input) ? b.input.map(String) : typeof b.input === 'string' ? [b.input] : [];
    const dimensions = typeof b.dimensions === 'number' ? b.dimensions : DIMENSIONS;
    const promptTokens = inputs.reduce((n, text) => n + words(text).length, 0);
    const total = LOAD_NS + promptTokens * EMBED_NS_PER_TOKEN;
    this.reports.push({ path: '/api/embed', model: String(b.model), promptTokens, completionTokens: 0, totalDuration: total });
    this.json(res, 200, {
      model: b.model,
      embeddings: inputs.map((text) => vector(text, dimensions)),
      total_duration: total,
      load_duration: LOAD_NS,
      ...(promptTokens ? { prompt_eval_count: promptTokens } : {}),
    });
  }

  private embeddings(b: Obj, res: ServerResponse): void {
    const model = this.find(b.model);
    if (!model) return this.missing(res, b.model);
    this.reports.push({ path: '/api/embeddings', model: String(b.model), promptTokens: 0, completionTokens: 0, totalDuration: 0 });
    // the superseded endpoint reports no counts and no durations (api.md "Generate Embedding")
    this.json(res, 200, { embedding: vector(String(b.prompt ?? '')) });
  }

  private async pull(b: Obj, res: ServerResponse): Promise<void> {
    const name = String(b.model ?? b.name ?? '');
    if (!name) return this.json(res, 400, { error: 'model is required' });
    const full = name.includes(':') ? name : `${name}:latest`;
    if (!this.find(full)) this.models.push({ name: full });
    return this.progress(b, res, ['pulling manifest', `pulling ${digestOf(full).slice(0, 12)}`, 'verifying sha256 digest', 'writing manifest', 'success']);
  }

  private create(b: Obj, res: ServerResponse): Promise<void> {
    const name = String(b.model ?? '');
    if (!name) return Promise.resolve(this.json(res, 400, { error: 'model is required' }));
    const full = name.includes(':') ? name : `${name}:latest`;
    if (!this.find(full)) this.models.push({ name: full });
    return this.progress(b, res, ['using existing layer', 'writing manifest', 'success']);
  }

  private async progress(b: Obj, res: ServerResponse, statuses: string[]): Promise<void> {
    if (b.stream === false) return this.json(res, 200, { status: 'success' });
    res.writeHead(200, { 'content-type': 'application/x-ndjson' });
    for (const status of statuses) {
      res.write(`${JSON.stringify({ status })}\n`);
      await this.pause();
    }
    res.end();
  }

  private copy(b: Obj, res: ServerResponse): void {
    const source = this.find(b.source);
    if (!source || typeof b.destination !== 'string') return this.missing(res, b.source);
    const full = b.destination.includes(':') ? b.destination : `${b.destination}:latest`;
    if (!this.find(full)) this.models.push({ ...source, name: full });
    res.writeHead(200).end();
  }

  private remove(b: Obj, res: ServerResponse): void {
    const model = this.find(b.model ?? b.name);
    if (!model) return this.missing(res, b.model ?? b.name);
    this.models = this.models.filter((m) => m !== model);
    res.writeHead(200).end();
  }

  private blob(method: string, digest: string, rawBody: string, res: ServerResponse): void {
    if (method === 'HEAD') {
      res.writeHead(this.blobs.has(digest) ? 200 : 404).end();
      return;
    }
    if (method !== 'POST') return this.json(res, 405, { error: 'method not allowed' });
    if (`sha256:${digestOf(rawBody)}` !== digest) return this.json(res, 400, { error: 'digest mismatch' });
    this.blobs.add(digest);
    res.writeHead(201).end();
  }

  // ---- OpenAI-compatible API -------------------------------------------------------------------

  private openAiError(res: ServerResponse, status: number, message: string, type = 'invalid_request_error'): void {
    this.json(res, status, { error: { message, type, param: null, code: null } });
  }

  private openAiModelEntry(m: FakeModel): Obj {
    return { id: m.name, object: 'model', created: EPOCH_S, owned_by: 'library' };
  }

  private openAiModel(name: string, res: ServerResponse): void {
    const model = this.find(name);
    if (!model) return this.openAiError(res, 404, `model "${name}" not found`, 'api_error');
    this.json(res, 200, this.openAiModelEntry(model));
  }

  private async openAiCompletion(path: string, b: Obj, res: ServerResponse): Promise<void> {
    const chat = path === '/v1/chat/completions';
    if (typeof b.model !== 'string') return this.openAiError(res, 400, 'model is required');
    const model = this.find(b.model);
    if (!model) return this.openAiError(res, 404, `model "${b.model}" not found, try pulling it first`, 'api_error');
    const messages = Array.isArray(b.messages) ? b.messages.filter(isObject) : [];
    if (chat && !messages.length) return this.openAiError(res, 400, '[] is too short - \'messages\'');
    const promptText = chat ? messages.map((m) => String(m.content ?? '')).join(' ') : String(b.prompt ?? '');
    const tokens = answerTokens(chat ? String(messages.at(-1)?.content ?? '') : String(b.prompt ?? ''));
    const usage = { prompt_tokens: words(promptText).length, completion_tokens: tokens.length, total_tokens: words(promptText).length + tokens.length };
    this.reports.push({ path, model: b.model, promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens, totalDuration: 0 });
    // from what is asked, not from options such as stream_options: ids match with and without them
    const asked = { model: b.model, messages: b.messages, prompt: b.prompt };
    const id = chat ? `chatcmpl-${numberOf(asked, 1000)}` : `cmpl-${numberOf(asked, 1000)}`;
    const head = { id, object: chat ? 'chat.completion' : 'text_completion', created: EPOCH_S, model: b.model, system_fingerprint: 'fp_ollama' };
    if (b.stream !== true) {
      const choice = chat ? { index: 0, message: { role: 'assistant', content: tokens.join('') }, finish_reason: 'stop' } : { text: tokens.join(''), index: 0, finish_reason: 'stop' };
      return this.json(res, 200, { ...head, choices: [choice], usage });
    }
    const chunkHead = { ...head, object: chat ? 'chat.completion.chunk' : 'text_completion' };
    const choice = (text: string, finish: string | null) =>
      chat ? { index: 0, delta: { role: 'assistant', content: text }, finish_reason: finish } : { text, index: 0, finish_reason: finish };
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const event = (data: unknown) => res.write(`data: ${typeof data === 'string' ? data : JSON.stringify(data)}\n\n`);
    for (const token of tokens) {
      event({ ...chunkHead, choices: [choice(token, null)] });
      await this.pause();
    }
    event({ ...chunkHead, choices: [choice('', 'stop')] });
    const options = isObject(b.stream_options) ? b.stream_options : {};
    if (options.include_usage === true) event({ ...chunkHead, choices: [], usage });
    event('[DONE]');
    res.end();
  }

  private openAiEmbeddings(b: Obj, res: ServerResponse): void {
    if (typeof b.model !== 'string') return this.openAiError(res, 400, 'model is required');
    const model = this.find(b.model);
    if (!model) return this.openAiError(res, 404, `model "${b.model}" not found, try pulling it first`, 'api_error');
    const inputs = Array.isArray(b.input) ? b.input.map(String) : typeof b.input === 'string' ? [b.input] : [];
    if (!inputs.length) return this.openAiError(res, 400, 'invalid input');
    const dimensions = typeof b.dimensions === 'number' ? b.dimensions : DIMENSIONS;
    const promptTokens = inputs.reduce((n, text) => n + words(text).length, 0);
    this.reports.push({ path: '/v1/embeddings', model: b.model, promptTokens, completionTokens: 0, totalDuration: 0 });
    const base64 = b.encoding_format === 'base64';
    this.json(res, 200, {
      object: 'list',
      data: inputs.map((text, index) => ({ object: 'embedding', embedding: base64 ? base64Floats(vector(text, dimensions)) : vector(text, dimensions), index })),
      model: b.model,
      usage: { prompt_tokens: promptTokens, total_tokens: promptTokens },
    });
  }

  // ---- plumbing --------------------------------------------------------------------------------

  private json(res: ServerResponse, status: number, body: unknown): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
    res.end(JSON.stringify(body));
  }

  /** between two streamed chunks, so they leave as separate writes */
  private pause(): Promise<void> {
    const ms = this.settings.chunkDelayMs ?? 1;
    return new Promise((resolve) => (ms > 0 ? setTimeout(resolve, ms) : setImmediate(resolve)));
  }
}
