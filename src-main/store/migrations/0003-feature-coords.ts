// Migration 3: feature sets keep their patch coordinates (level-0 px, int32 x,y pairs) so cached and imported
// features read back as vectors + coords without the grid, and can be exported to TRIDENT layout.
import type { Migration } from './index'

export const migration0003: Migration = {
  version: 3,
  name: 'feature-coords',
  up: `
ALTER TABLE feature_sets ADD COLUMN coords BLOB;
ALTER TABLE feature_sets ADD COLUMN slide_name TEXT;
CREATE INDEX feature_sets_encoder ON feature_sets(encoder_key, grid_key);
`
}
