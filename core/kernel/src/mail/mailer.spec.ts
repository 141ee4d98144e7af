import { Logger, LoggerService } from '@nestjs/common';
import { createServer, Socket } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { PinoNestLogger, REDACTED_PATHS } from '../observability/logger';
import { createMailer, LogMailer, SmtpMailer, UnconfiguredMailer } from './mailer';

const TOKEN = 'hV3q9x_Tk-2bZr8Lm0pQ7sWn4cYd1eFg6jKu5oAi3vB';
const MESSAGE = {
  to: 'ada@example.org',
  subject: 'You are invited to Lovelace Labs on Werkbank',
  text: `Set your password here: http://localhost:3000/accept-invitation?token=${TOKEN}\n\nThe invitation expires soon.`,
};

/** Records what Nest's Logger hands to the application logger. */
class CapturingLogger implements LoggerService {
  readonly entries: Array<{ level: string; message: unknown; context?: unknown }> = [];
  private add(level: string, message: unknown, params: unknown[]) {
    this.entries.push({ level, message, context: params[params.length - 1] });
  }
  log(message: unknown, ...params: unknown[]) { this.add('log', message, params); }
  error(message: unknown, ...params: unknown[]) { this.add('error', message, params); }
  warn(message: unknown, ...params: unknown[]) { this.add('warn', message, params); }
  debug(message: unknown, ...params: unknown[]) { this.add('debug', message, params); }
  verbose(message: unknown, ...params: unknown[]) { this.add('verbose', message, params); }
}

interface ReceivedMail {
  from: string;
  to: string[];
  data: string;
}

/** A minimal SMTP server that accepts every message and keeps it (no TLS, no auth). */
async function startSmtpSink(): Promise<{ port: number; received: ReceivedMail[]; close(): Promise<void> }> {
  const received: ReceivedMail[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    socket.setEncoding('utf8');
    const reply = (line: string) => socket.write(`${line}\r\n`);
    let buffer = '';
    let inData = false;
    let current: ReceivedMail = { from: '', to: [], data: '' };
    reply('220 sink.test ESMTP');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      for (;;) {
        if (inData) {
          const end = buffer.indexOf('\r\n.\r\n');
          if (end < 0) return;
          current.data = buffer.slice(0, end).replace(/^\.\./gm, '.');
          buffer = buffer.slice(end + 5);
          received.push(current);
          current = { from: '', to: [], data: '' };
          inData = false;
          reply('250 2.0.0 queued');
          continue;
        }
        const eol = buffer.indexOf('\r\n');
        if (eol < 0) return;
        const line = buffer.slice(0, eol);
        buffer = buffer.slice(eol + 2);
        const verb = line.split(' ')[0].toUpperCase();
        if (verb === 'EHLO') reply('250-sink.test\r\n250 8BITMIME');
        else if (verb === 'HELO') reply('250 sink.test');
        else if (verb === 'MAIL') { current.from = line; reply('250 2.1.0 ok'); }
        else if (verb === 'RCPT') { current.to.push(line); reply('250 2.1.5 ok'); }
        else if (verb === 'DATA') { inData = true; reply('354 end with <CRLF>.<CRLF>'); }
        else if (verb === 'RSET' || verb === 'NOOP') reply('250 ok');
        else if (verb === 'QUIT') { reply('221 bye'); socket.end(); }
        else reply('502 5.5.2 command not recognized');
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('no port');
  return {
    port: address.port,
    received,
    close: () => new Promise<void>((resolve) => {
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    }),
  };
}

/** The message body of a raw RFC 5322 message, undoing quoted-printable or base64. */
function bodyOf(raw: string): string {
  const split = raw.indexOf('\r\n\r\n');
  const headers = raw.slice(0, split);
  const body = raw.slice(split + 4);
  const encoding = /^content-transfer-encoding:\s*(\S+)/im.exec(headers)?.[1]?.toLowerCase();
  if (encoding === 'base64') return Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  if (encoding === 'quoted-printable') {
    const bytes = body.replace(/=\r\n/g, '').replace(/=([0-9A-F]{2})/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
    return Buffer.from(bytes, 'latin1').toString('utf8');
  }
  return body;
}

describe('createMailer', () => {
  let logs: CapturingLogger;

  beforeEach(() => {
    logs = new CapturingLogger();
    Logger.overrideLogger(logs);
  });
  afterEach(() => Logger.overrideLogger(false));

  describe('without SMTP_URL in development (and test)', () => {
    it('returns a LogMailer', () => {
      expect(createMailer({ nodeEnv: 'development', mailFrom: 'Werkbank <no-reply@werkbank.local>' })).toBeInstanceOf(LogMailer);
      expect(createMailer({ nodeEnv: 'test', mailFrom: 'Werkbank <no-reply@werkbank.local>' })).toBeInstanceOf(LogMailer);
      expect(createMailer({ nodeEnv: 'development', smtpUrl: '', mailFrom: 'x@y.z' })).toBeInstanceOf(LogMailer);
    });

    it('prints the whole message, with the link and its token, to the log so a developer can follow it', async () => {
      await createMailer({ nodeEnv: 'development', mailFrom: 'no-reply@werkbank.local' }).send(MESSAGE);
      expect(logs.entries).toHaveLength(1);
      const [entry] = logs.entries;
      expect(entry.level).toBe('log');
      expect(entry.context).toBe('Mail');
      expect(entry.message).toMatchObject({ mailTo: MESSAGE.to, subject: MESSAGE.subject, body: MESSAGE.text });
      expect(JSON.stringify(entry.message)).toContain(`token=${TOKEN}`);
    });

    it('keeps the token in the JSON log line written with the app\'s redaction rules', async () => {
      const lines: string[] = [];
      const sink = new Writable({ write(chunk, _encoding, done) { lines.push(String(chunk)); done(); } });
      Logger.overrideLogger(new PinoNestLogger(pino({ level: 'info', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, sink)));
      await new LogMailer().send(MESSAGE);
      expect(lines).toHaveLength(1);
      const line = JSON.parse(lines[0]);
      expect(line).toMatchObject({ context: 'Mail', mailTo: MESSAGE.to, subject: MESSAGE.subject });
      expect(line.body).toContain(`accept-invitation?token=${TOKEN}`);
    });
  });

  describe('without SMTP_URL in production', () => {
    it('returns a mailer that sends nothing and logs a warning without the message body (no secrets in logs)', async () => {
      const mailer = createMailer({ nodeEnv: 'production', mailFrom: 'no-reply@werkbank.local' });
      expect(mailer).toBeInstanceOf(UnconfiguredMailer);
      await mailer.send(MESSAGE);
      expect(logs.entries).toHaveLength(1);
      expect(logs.entries[0].level).toBe('warn');
      expect(logs.entries[0].message).toMatchObject({ mailTo: MESSAGE.to, msg: expect.stringContaining('SMTP_URL') });
      expect(JSON.stringify(logs.entries)).not.toContain(TOKEN);
    });
  });

  describe('with SMTP_URL', () => {
    let smtp: Awaited<ReturnType<typeof startSmtpSink>>;
    beforeAll(async () => {
      smtp = await startSmtpSink();
    });
    afterAll(() => smtp.close());

    it('returns an SmtpMailer in every environment', () => {
      for (const nodeEnv of ['development', 'test', 'production']) {
        expect(createMailer({ nodeEnv, smtpUrl: `smtp://127.0.0.1:${smtp.port}`, mailFrom: 'no-reply@werkbank.local' })).toBeInstanceOf(SmtpMailer);
      }
    });

    it('delivers the message over SMTP from MAIL_FROM, and does not log it', async () => {
      const mailer = createMailer({ nodeEnv: 'production', smtpUrl: `smtp://127.0.0.1:${smtp.port}`, mailFrom: 'Werkbank <no-reply@werkbank.test>' });
      await mailer.send(MESSAGE);
      expect(smtp.received).toHaveLength(1);
      const [mail] = smtp.received;
      expect(mail.from).toMatch(/^MAIL FROM:<no-reply@werkbank\.test>/i);
      expect(mail.to).toEqual([expect.stringMatching(/^RCPT TO:<ada@example\.org>/i)]);
      expect(mail.data).toMatch(/^subject: You are invited to Lovelace Labs on Werkbank\r?$/im);
      expect(mail.data).toMatch(/^from: Werkbank <no-reply@werkbank\.test>\r?$/im);
      expect(mail.data).toMatch(/^to: ada@example\.org\r?$/im);
      expect(bodyOf(mail.data)).toContain(`accept-invitation?token=${TOKEN}`);
      expect(JSON.stringify(logs.entries)).not.toContain(TOKEN);
    });

    it('fails loudly when the SMTP server is unreachable', async () => {
      const closed = await startSmtpSink();
      const port = closed.port;
      await closed.close();
      const mailer = createMailer({ nodeEnv: 'production', smtpUrl: `smtp://127.0.0.1:${port}`, mailFrom: 'no-reply@werkbank.test' });
      await expect(mailer.send(MESSAGE)).rejects.toThrow();
    });
  });
});
