import { MessageStream, messageFormat, type MessageStreamOptions } from './message-stream';

/** Writes `chunks` one by one; returns what came out after each write, the whole output and the messages. */
async function run(options: MessageStreamOptions, chunks: string[]): Promise<{ afterEach: string[]; output: string; messages: unknown[] }> {
  const stream = new MessageStream(options);
  let current = '';
  stream.on('data', (chunk: Buffer) => (current += chunk.toString('utf8')));
  const afterEach: string[] = [];
  for (const chunk of chunks) {
    await new Promise<void>((resolve) => stream.write(Buffer.from(chunk, 'utf8'), () => resolve()));
    await new Promise((resolve) => setImmediate(resolve));
    afterEach.push(current);
  }
  await new Promise<void>((resolve) => stream.end(resolve));
  return { afterEach, output: current, messages: stream.messages };
}

const options = (format: MessageStreamOptions['format'], keep?: (m: unknown) => boolean): MessageStreamOptions => ({ format, keep, maxMessageBytes: 1024 });

describe('messageFormat', () => {
  it('follows the content type, then what the route declares', () => {
    expect(messageFormat('text/event-stream; charset=utf-8', 'none')).toBe('sse');
    expect(messageFormat('application/x-ndjson', undefined)).toBe('ndjson');
    expect(messageFormat('application/json', 'sse')).toBe('json');
    expect(messageFormat('application/json; charset=utf-8', 'ndjson')).toBe('ndjson');
    expect(messageFormat('application/problem+json', undefined)).toBe('json');
    expect(messageFormat(undefined, 'sse')).toBe('sse');
    expect(messageFormat('text/html', 'ndjson')).toBe('none');
  });
});

describe('MessageStream', () => {
  it('passes NDJSON chunks on as they arrive and parses lines split across chunks', async () => {
    const result = await run(options('ndjson'), ['{"a":1}\n{"b"', ':2}\n', '{"c":3}']);
    expect(result.afterEach).toEqual(['{"a":1}\n{"b"', '{"a":1}\n{"b":2}\n', '{"a":1}\n{"b":2}\n{"c":3}']);
    expect(result.messages).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
  });

  it('drops NDJSON lines the filter refuses, keeping them for usage', async () => {
    const result = await run(options('ndjson', (m) => !(m as { usage?: unknown }).usage), ['{"t":"x"}\r\n{"usage":5}\n', 'not json\n{"t":"y"}\n']);
    expect(result.output).toBe('{"t":"x"}\r\nnot json\n{"t":"y"}\n');
    expect(result.afterEach[0]).toBe('{"t":"x"}\r\n');
    expect(result.messages).toEqual([{ t: 'x' }, { usage: 5 }, { t: 'y' }]);
  });

  it('parses SSE data events (multi-line data, comments, [DONE]) without holding chunks back', async () => {
    const chunks = ['data: {"n":1}\n\n', ': ping\n\nevent: x\ndata: {"n":', '2}\n\n', 'data: [DONE]\n\n'];
    const result = await run(options('sse'), chunks);
    expect(result.afterEach).toEqual([chunks[0], chunks.slice(0, 2).join(''), chunks.slice(0, 3).join(''), chunks.join('')]);
    expect(result.messages).toEqual([{ n: 1 }, { n: 2 }]);
  });

  it('joins multiple data lines of one event', async () => {
    const result = await run(options('sse'), ['data: {"a":\ndata: 1}\n\n']);
    expect(result.messages).toEqual([{ a: 1 }]);
  });

  it('drops whole SSE events the filter refuses and passes [DONE] on', async () => {
    const keep = (m: unknown) => (m as { choices?: unknown[] }).choices?.length !== 0;
    const result = await run(options('sse', keep), ['data: {"choices":[1]}\n\n', 'data: {"choices":[],"usage":{"total":3}}\n\ndata: [DONE]\n\n']);
    expect(result.output).toBe('data: {"choices":[1]}\n\ndata: [DONE]\n\n');
    expect(result.afterEach[0]).toBe('data: {"choices":[1]}\n\n');
    expect(result.messages).toEqual([{ choices: [1] }, { choices: [], usage: { total: 3 } }]);
  });

  it('parses a JSON body at its end and passes every chunk on untouched', async () => {
    const result = await run(options('json', () => false), ['{"usage":', '{"n":7}}']);
    expect(result.afterEach).toEqual(['{"usage":', '{"usage":{"n":7}}']);
    expect(result.messages).toEqual([{ usage: { n: 7 } }]);
  });

  it('passes a line longer than the limit on unparsed, also when filtering', async () => {
    const long = `{"x":"${'a'.repeat(2000)}"}`;
    const result = await run(options('ndjson', () => false), ['{"a":1}\n', long.slice(0, 1500), `${long.slice(1500)}\n`, '{"b":2}\n']);
    expect(result.output).toBe(`${long}\n`);
    expect(result.messages).toEqual([{ a: 1 }, { b: 2 }]);
  });

  it('keeps multi-byte characters split across chunks intact', async () => {
    const bytes = Buffer.from('{"w":"äöü"}\n', 'utf8');
    const stream = new MessageStream(options('ndjson', () => true));
    const out: Buffer[] = [];
    stream.on('data', (c: Buffer) => out.push(c));
    stream.write(bytes.subarray(0, 8));
    stream.end(bytes.subarray(8));
    await new Promise((resolve) => stream.on('end', resolve));
    expect(Buffer.concat(out).toString('utf8')).toBe('{"w":"äöü"}\n');
    expect(stream.messages).toEqual([{ w: 'äöü' }]);
  });
});
