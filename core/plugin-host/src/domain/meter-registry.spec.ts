import type { MeterDefinition } from '@werkbank/plugin-sdk';
import { MeterRegistry } from './meter-registry';

const meter = (key: string, unit = 'request', aggregation: MeterDefinition['aggregation'] = 'count'): MeterDefinition => ({ key, unit, aggregation, description: key });

describe('MeterRegistry', () => {
  it('lists declared meters with who declared them, and suggested prices per meter', () => {
    const registry = new MeterRegistry();
    expect(registry.declare({ kind: 'plugin', pluginId: 'a' }, [meter('a.requests'), meter('a.bytes', 'byte', 'sum')])).toEqual([]);
    registry.suggestPrices('a', [{ meter: 'a.bytes', currency: 'EUR', unitPrice: '0.01', model: 'per_unit', description: 'x' }]);
    expect(registry.meters().map((m) => [m.key, m.declaredBy])).toEqual([
      ['a.requests', [{ kind: 'plugin', pluginId: 'a' }]],
      ['a.bytes', [{ kind: 'plugin', pluginId: 'a' }]],
    ]);
    expect(registry.meter('a.bytes')).toMatchObject({ unit: 'byte', aggregation: 'sum' });
    expect(registry.priceSuggestions('a.bytes')).toEqual([expect.objectContaining({ pluginId: 'a', unitPrice: '0.01' })]);
    expect(registry.priceSuggestions('a.requests')).toEqual([]);
  });

  it('lets a second owner adopt a meter with the same unit and aggregation', () => {
    const registry = new MeterRegistry();
    registry.declare({ kind: 'operator' }, [meter('x.requests')]);
    expect(registry.declare({ kind: 'plugin', pluginId: 'x' }, [meter('x.requests')])).toEqual([]);
    expect(registry.meter('x.requests')?.declaredBy).toEqual([{ kind: 'operator' }, { kind: 'plugin', pluginId: 'x' }]);
  });

  it('reports a meter redeclared with another unit or aggregation, and registers nothing of that declaration', () => {
    const registry = new MeterRegistry();
    registry.declare({ kind: 'plugin', pluginId: 'a' }, [meter('shared.calls')]);
    const conflicts = registry.declare({ kind: 'plugin', pluginId: 'b' }, [meter('b.ok'), meter('shared.calls', 'call', 'sum')]);
    expect(conflicts).toEqual([
      { key: 'shared.calls', index: 1, property: 'unit', existing: 'request', incoming: 'call', existingOwner: { kind: 'plugin', pluginId: 'a' } },
      { key: 'shared.calls', index: 1, property: 'aggregation', existing: 'count', incoming: 'sum', existingOwner: { kind: 'plugin', pluginId: 'a' } },
    ]);
    expect(registry.meters().map((m) => m.key)).toEqual(['shared.calls']);
  });

  it('hands out copies, so callers cannot change the registry', () => {
    const registry = new MeterRegistry();
    registry.declare({ kind: 'plugin', pluginId: 'a' }, [meter('a.requests')]);
    registry.meters()[0].unit = 'changed';
    expect(registry.meter('a.requests')?.unit).toBe('request');
  });
});
