import { Logger } from '@nestjs/common';
import { createTransport, Transporter } from 'nodemailer';

export interface MailMessage {
  to: string;
  subject: string;
  text: string;
}

export interface Mailer {
  send(message: MailMessage): Promise<void>;
}

export const MAILER = Symbol('MAILER');

export class SmtpMailer implements Mailer {
  private readonly transport: Transporter;
  constructor(smtpUrl: string, private readonly from: string) {
    this.transport = createTransport(smtpUrl);
  }
  async send(message: MailMessage): Promise<void> {
    await this.transport.sendMail({ from: this.from, to: message.to, subject: message.subject, text: message.text });
  }
}

/**
 * Development without SMTP_URL: the message (with its link) goes to the log, so a developer
 * can follow an invitation or reset link without a mail server.
 */
export class LogMailer implements Mailer {
  private readonly logger = new Logger('Mail');
  async send(message: MailMessage): Promise<void> {
    this.logger.log({ msg: 'mail (SMTP_URL not set, printed instead of sent)', mailTo: message.to, subject: message.subject, body: message.text });
  }
}

/** Production without SMTP_URL: nothing is sent and no secret reaches the log. */
export class UnconfiguredMailer implements Mailer {
  private readonly logger = new Logger('Mail');
  async send(message: MailMessage): Promise<void> {
    this.logger.warn({ msg: 'mail not sent: set SMTP_URL to deliver e-mail', mailTo: message.to, subject: message.subject });
  }
}

export function createMailer(config: { smtpUrl?: string; mailFrom: string; nodeEnv: string }): Mailer {
  if (config.smtpUrl) return new SmtpMailer(config.smtpUrl, config.mailFrom);
  return config.nodeEnv === 'production' ? new UnconfiguredMailer() : new LogMailer();
}
