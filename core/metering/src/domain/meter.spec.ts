import { conflictingField, definitionProblems, Meter, sameDefinition } from './meter';

const meter: Meter = {
  key: 'storage.bytes', unit: 'byte', aggregation: 'time_weighted', description: 'Bytes stored', valueProperty: null,
  dimensions: ['service', 'region'], owner: 'operator', createdAt: new Date(),
};

describe('meter definitions', () => {
  it('the same meaning is unit and aggregation (and for unique_count the counted property)', () => {
    expect(conflictingField(meter, { key: 'storage.bytes', unit: 'byte', aggregation: 'time_weighted', description: 'other words' })).toBeUndefined();
    expect(conflictingField(meter, { key: 'storage.bytes', unit: 'gigabyte', aggregation: 'time_weighted', description: '' })).toBe('unit');
    expect(conflictingField(meter, { key: 'storage.bytes', unit: 'byte', aggregation: 'latest', description: '' })).toBe('aggregation');
    const users: Meter = { ...meter, key: 'app.users', unit: 'user', aggregation: 'unique_count', valueProperty: 'userId' };
    expect(conflictingField(users, { key: 'app.users', unit: 'user', aggregation: 'unique_count', valueProperty: 'sessionId', description: '' })).toBe('valueProperty');
  });

  it('an identical definition lists the dimensions in any order', () => {
    expect(sameDefinition(meter, { key: 'storage.bytes', unit: 'byte', aggregation: 'time_weighted', description: 'Bytes stored', dimensions: ['region', 'service'] })).toBe(true);
    expect(sameDefinition(meter, { key: 'storage.bytes', unit: 'byte', aggregation: 'time_weighted', description: 'Bytes stored', dimensions: ['region'] })).toBe(false);
    expect(sameDefinition(meter, { key: 'storage.bytes', unit: 'byte', aggregation: 'time_weighted', description: 'Stored bytes', dimensions: ['region', 'service'] })).toBe(false);
  });

  it('refuses unique_count without valueProperty, repeated and reserved dimensions', () => {
    expect(definitionProblems({ key: 'a.b', unit: 'user', aggregation: 'unique_count', description: 'x' })).toEqual([expect.objectContaining({ field: 'valueProperty' })]);
    expect(definitionProblems({ key: 'a.b', unit: 'x', aggregation: 'sum', description: 'x', dimensions: ['model', 'model'] })).toEqual([expect.objectContaining({ field: 'dimensions' })]);
    expect(definitionProblems({ key: 'a.b', unit: 'x', aggregation: 'sum', description: 'x', dimensions: ['day'] })).toEqual([expect.objectContaining({ field: 'dimensions' })]);
    expect(definitionProblems({ key: 'a.b', unit: 'x', aggregation: 'sum', description: 'x', dimensions: ['model'] })).toEqual([]);
  });
});
