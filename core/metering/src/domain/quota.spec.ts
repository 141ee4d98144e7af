import { reachedThresholds } from './quota';

describe('quota thresholds', () => {
  it('reports 80 % and 100 % of the soft and the hard limit once reached', () => {
    expect(reachedThresholds({ softLimit: '1000', hardLimit: '2000' }, '799.99')).toEqual([]);
    expect(reachedThresholds({ softLimit: '1000', hardLimit: '2000' }, '800')).toEqual([{ limitKind: 'soft', threshold: 80, limit: '1000' }]);
    expect(reachedThresholds({ softLimit: '1000', hardLimit: '2000' }, '1600').map((r) => `${r.limitKind}${r.threshold}`)).toEqual(['soft80', 'soft100', 'hard80']);
    expect(reachedThresholds({ softLimit: null, hardLimit: '10' }, '10').map((r) => `${r.limitKind}${r.threshold}`)).toEqual(['hard80', 'hard100']);
  });

  it('compares exact decimals', () => {
    expect(reachedThresholds({ softLimit: '0.3', hardLimit: null }, '0.24')).toEqual([{ limitKind: 'soft', threshold: 80, limit: '0.3' }]);
    expect(reachedThresholds({ softLimit: '0.3', hardLimit: null }, '0.2399999999999999999999')).toEqual([]);
  });

  it('a zero limit is reached by usage, not by none', () => {
    expect(reachedThresholds({ softLimit: null, hardLimit: '0' }, '0')).toEqual([]);
    expect(reachedThresholds({ softLimit: null, hardLimit: '0' }, '0.001')).toHaveLength(2);
  });
});
