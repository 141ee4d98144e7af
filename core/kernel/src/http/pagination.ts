import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { ProblemException } from '../problem/problem';

/** Cursor pagination: lists are ordered by their time-ordered id; the cursor is opaque. */
export class PageQueryDto {
  @ApiPropertyOptional({ description: 'Opaque cursor from `nextCursor` of the previous page.', example: 'eyJpZCI6IjAxOT...' })
  @IsOptional()
  @IsString()
  @MaxLength(200)
  cursor?: string;

  @ApiPropertyOptional({ description: 'Page size (1-200).', default: 50, example: 50 })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(200)
  limit?: number;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export function encodeCursor(lastId: string): string {
  return Buffer.from(JSON.stringify({ id: lastId })).toString('base64url');
}

export function decodeCursor(cursor: string | undefined): string | undefined {
  if (!cursor) return undefined;
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { id?: unknown };
    if (typeof parsed.id === 'string' && /^[0-9a-f-]{36}$/i.test(parsed.id)) return parsed.id;
  } catch {
    // fall through to the problem below
  }
  throw new ProblemException(400, 'pagination.invalid_cursor', 'Invalid cursor', 'Pass the `nextCursor` value of a previous page unchanged.');
}

/** Builds a page from `limit + 1` rows fetched in id order. */
export function toPage<T extends { id: string }, R>(rows: T[], limit: number, map: (row: T) => R): Page<R> {
  const hasMore = rows.length > limit;
  const items = rows.slice(0, limit);
  return { items: items.map(map), nextCursor: hasMore ? encodeCursor(items[items.length - 1].id) : null };
}
