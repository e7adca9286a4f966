// The dashboard's tiles and their sizes, shared by the server (layouts) and the page (the arrange panel).

/** Every dashboard tile, in the default order (the figures, then the chart below them). */
export const TILES = [
  'revenue',
  'orders',
  'aov',
  'awaitingShipment',
  'late',
  'onHold',
  'paymentFailures',
  'lowStock',
  'stockouts',
  'runsFailed',
  'tasksOpen',
  'ticketsOpen',
  'slaAtRisk',
  'perMinute',
] as const;
export type Tile = (typeof TILES)[number];

/** A tile's size: s one column, m two, l the whole row (the per-minute chart is never smaller than m). */
export const TILE_SIZES = ['s', 'm', 'l'] as const;
export type TileSize = (typeof TILE_SIZES)[number];
/** A tile's size until its user chooses one: the chart across the row, the figures one column each. */
export const defaultSize = (tile: Tile): TileSize => (tile === 'perMinute' ? 'l' : 's');
/** The smallest size a tile may take. */
export const smallestSize = (tile: Tile): TileSize => (tile === 'perMinute' ? 'm' : 's');
