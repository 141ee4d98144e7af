import type { Mailer, MailMessage } from '@werkbank/kernel';

/** Captures mail instead of sending it, so tests can follow invitation and reset links. */
export class MemoryMailer implements Mailer {
  readonly sent: MailMessage[] = [];
  async send(message: MailMessage): Promise<void> {
    this.sent.push(message);
  }
  /** The token in the last mail to `to`. */
  lastToken(to: string): string {
    const mail = [...this.sent].reverse().find((m) => m.to === to.toLowerCase());
    const match = mail && /token=([A-Za-z0-9_-]+)/.exec(mail.text);
    if (!match) throw new Error(`no mail with a token to ${to}`);
    return match[1];
  }
}

export const ADMIN_EMAIL = 'operator@example.test';
export const ADMIN_PASSWORD = 'operator-password-123';
export const TEST_JWT_SECRET = 'e2e-secret-e2e-secret-e2e-secret-e2e-secret';
export const TEST_ENCRYPTION_KEY = Buffer.alloc(32, 42).toString('base64');
