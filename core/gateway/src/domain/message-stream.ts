import { StringDecoder } from 'node:string_decoder';
import { Transform, TransformCallback } from 'node:stream';

/** How a response body is read for usage: one JSON document, JSON lines, server-sent events, or not at all. */
export type MessageFormat = 'json' | 'ndjson' | 'sse' | 'none';

/**
 * The format of a response body, from its content type first (an NDJSON route answers plain
 * JSON when the client asks for no stream), then from what the route declares.
 */
export function messageFormat(contentType: string | undefined, declared: 'none' | 'ndjson' | 'sse' | undefined): MessageFormat {
  const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
  if (type === 'text/event-stream') return 'sse';
  if (type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl' || type === 'application/x-jsonlines') return 'ndjson';
  if (type === 'application/json' || type.endsWith('+json')) return declared === 'ndjson' ? 'ndjson' : 'json';
  if (type === '' && declared && declared !== 'none') return declared;
  return 'none';
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

export interface MessageStreamOptions {
  format: MessageFormat;
  /** false drops the message (and its bytes) from what the client receives; only for ndjson and sse */
  keep?: (message: unknown) => boolean;
  /** a JSON body or one line/event longer than this is passed on but not parsed */
  maxMessageBytes: number;
}

/**
 * Passes a response body through chunk by chunk and parses its messages on the way.
 * Without `keep`, every chunk goes on the moment it arrives and parsing happens beside it.
 * With `keep`, a chunk goes on as soon as the lines (NDJSON) or events (SSE) in it are complete
 * and kept — the granularity the upstream sends them in anyway.
 */
export class MessageStream extends Transform {
  /** every parsed message in order, also those `keep` dropped (for `extractUsage`) */
  readonly messages: unknown[] = [];
  private readonly decoder = new StringDecoder('utf8');
  private readonly filtering: boolean;
  /** the incomplete last line (or, for JSON, the body so far) */
  private pending = '';
  /** the current line (JSON: the body) is longer than maxMessageBytes: passed on, not parsed */
  private overflow = false;
  // SSE: the data lines and the raw text of the event being read
  private eventData: string[] = [];
  private eventRaw = '';
  private eventBroken = false;

  constructor(private readonly options: MessageStreamOptions) {
    super();
    this.filtering = !!options.keep && (options.format === 'ndjson' || options.format === 'sse');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    const out = this.consume(this.decoder.write(chunk), false);
    if (!this.filtering) callback(null, chunk);
    else callback(null, out || undefined);
  }

  override _flush(callback: TransformCallback): void {
    const out = this.consume(this.decoder.end(), true);
    callback(null, this.filtering && out ? out : undefined);
  }

  /** Reads `text`; returns what a filtering stream passes on. `end`: the body is complete. */
  private consume(text: string, end: boolean): string {
    switch (this.options.format) {
      case 'json':
        if (!this.overflow) {
          this.pending += text;
          if (this.pending.length > this.options.maxMessageBytes) {
            this.overflow = true;
            this.pending = '';
          }
        }
        if (end && !this.overflow && this.pending.trim()) {
          const parsed = parseJson(this.pending);
          if (parsed.ok) this.messages.push(parsed.value);
        }
        return '';
      case 'ndjson':
        return this.lines(text, end, (line, raw) => this.ndjsonLine(line, raw));
      case 'sse':
        return this.lines(text, end, (line, raw) => this.sseLine(line, raw)) + (end ? this.endEvent() : '');
      default:
        return text;
    }
  }

  /** Splits into lines (`\n` or `\r\n`); `onLine` gets each line without and with its terminator. */
  private lines(text: string, end: boolean, onLine: (line: string, raw: string) => string): string {
    let out = '';
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      const part = text.slice(start, nl + 1);
      start = nl + 1;
      if (this.overflow) {
        // the end of a line too long to parse: it still reaches the client
        this.overflow = false;
        out += part;
        continue;
      }
      const raw = this.pending + part;
      this.pending = '';
      out += onLine(raw.endsWith('\r\n') ? raw.slice(0, -2) : raw.slice(0, -1), raw);
    }
    const rest = text.slice(start);
    if (this.overflow) {
      out += rest;
    } else if (this.pending.length + rest.length > this.options.maxMessageBytes) {
      this.overflow = true;
      out += this.breakEvent() + this.pending + rest;
      this.pending = '';
    } else {
      this.pending += rest;
    }
    if (end && this.pending) {
      const raw = this.pending;
      this.pending = '';
      out += onLine(raw, raw);
    }
    return out;
  }

  private ndjsonLine(line: string, raw: string): string {
    if (!line.trim()) return raw;
    const parsed = parseJson(line);
    if (!parsed.ok) return raw;
    this.messages.push(parsed.value);
    return this.options.keep && !this.options.keep(parsed.value) ? '' : raw;
  }

  private sseLine(line: string, raw: string): string {
    this.eventRaw += raw;
    if (line === '') return this.endEvent();
    if (line.startsWith('data:')) this.eventData.push(line.slice(line.startsWith('data: ') ? 6 : 5));
    else if (line === 'data') this.eventData.push('');
    return '';
  }

  /** An SSE event with a line too long to parse: what was held of it goes on, the rest follows unparsed. */
  private breakEvent(): string {
    if (this.options.format !== 'sse') return '';
    const held = this.eventRaw;
    this.eventRaw = '';
    this.eventData = [];
    this.eventBroken = true;
    return held;
  }

  /** Dispatches the event read so far: parses its data and decides whether it is passed on. */
  private endEvent(): string {
    const raw = this.eventRaw;
    const data = this.eventData.join('\n');
    const parse = this.eventData.length > 0 && !this.eventBroken;
    this.eventRaw = '';
    this.eventData = [];
    this.eventBroken = false;
    if (!parse) return raw;
    const parsed = parseJson(data);
    if (!parsed.ok) return raw; // e.g. OpenAI's `data: [DONE]`
    this.messages.push(parsed.value);
    return this.options.keep && !this.options.keep(parsed.value) ? '' : raw;
  }
}
