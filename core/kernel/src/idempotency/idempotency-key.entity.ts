import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'idempotency_keys' })
export class IdempotencyKeyEntity {
  /** who sent the key: 'user:<id>' or 'api_key:<id>'; keys of different callers never collide */
  @PrimaryColumn('text') scope!: string;
  @PrimaryColumn('text') key!: string;
  @Column('text') method!: string;
  @Column('text') path!: string;
  @Column('text', { name: 'request_hash' }) requestHash!: string;
  @Column('int', { name: 'response_status', nullable: true }) responseStatus!: number | null;
  @Column('jsonb', { name: 'response_body', nullable: true }) responseBody!: unknown;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}
