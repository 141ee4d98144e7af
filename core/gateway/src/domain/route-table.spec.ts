import type { GatewayRoute } from '@werkbank/plugin-sdk';
import { RouteTable, unsafePath } from './route-table';

const route = (method: GatewayRoute['method'], path: string, access: GatewayRoute['access'] = 'tenant'): GatewayRoute => ({ method, path, access });

describe('RouteTable', () => {
  const table = new RouteTable([
    route('POST', '/api/chat'),
    route('GET', '/collections/:name'),
    route('POST', '/collections/:name/points/search'),
    route('*', '/api/pull', 'operator'),
    route('GET', '/'),
    route('*', '/collections/:name'),
  ]);

  it('matches method and literal path', () => {
    expect(table.match('POST', '/api/chat')?.compiled.pattern).toBe('/api/chat');
    expect(table.match('GET', '/api/chat')).toBeUndefined();
    expect(table.match('POST', '/api/chat/more')).toBeUndefined();
    expect(table.match('POST', '/api/chat/')?.compiled.pattern).toBe('/api/chat');
  });

  it('binds :params (decoded) and needs a non-empty segment', () => {
    expect(table.match('POST', '/collections/my%20docs/points/search')?.params).toEqual({ name: 'my docs' });
    expect(table.match('POST', '/collections//points/search')).toBeUndefined();
  });

  it('takes * for any method and the first matching route in declaration order', () => {
    expect(table.match('DELETE', '/api/pull')?.compiled.route.access).toBe('operator');
    expect(table.match('GET', '/collections/a')?.compiled.route.method).toBe('GET');
    expect(table.match('PUT', '/collections/a')?.compiled.route.method).toBe('*');
  });

  it('serves HEAD on GET routes and matches the root', () => {
    expect(table.match('HEAD', '/collections/a')?.compiled.route.method).toBe('GET');
    expect(table.match('GET', '/')?.compiled.pattern).toBe('/');
    expect(table.size).toBe(6);
  });
});

describe('unsafePath', () => {
  it.each(['/a/../b', '/a/./b', '/a/%2e%2e/b', '/a/%2E./b', '/a%2fb', '/a%5Cb', '/a\\b', '/a//b', '/a/%00'])('refuses %s', (path) => {
    expect(unsafePath(path)).toBe(true);
  });

  it.each(['/', '/api/chat', '/api/chat/', '/collections/my%20docs/points', '/a/..b/c', '/v1/models'])('accepts %s', (path) => {
    expect(unsafePath(path)).toBe(false);
  });
});
