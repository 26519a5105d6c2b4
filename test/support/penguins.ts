/** vega-datasets' Palmer penguins as an ingest step: no time column; a select renames the measured columns. */

/** Male or not, from the measurements: the columns renamed by the select (their names have spaces and units). */
export const PENGUINS_INGEST = {
  source: {
    path: 'package:vega-datasets/data/penguins.json',
    select: `SELECT "Beak Length (mm)" AS beak_length, "Beak Depth (mm)" AS beak_depth, "Flipper Length (mm)" AS flipper_length,
      "Body Mass (g)" AS body_mass, Species AS species, Island AS island, CAST(Sex = 'MALE' AS INTEGER) AS male
      FROM source WHERE Sex IN ('MALE', 'FEMALE') AND "Body Mass (g)" IS NOT NULL`,
  },
  features: [
    { name: 'beak_length', column: 'beak_length', transform: 'double' },
    { name: 'beak_depth', column: 'beak_depth', transform: 'double' },
    { name: 'flipper_length', column: 'flipper_length', transform: 'double' },
    { name: 'body_mass', column: 'body_mass', transform: 'double' },
    { name: 'species', column: 'species' },
    { name: 'island', column: 'island' },
  ],
  label: { name: 'male', column: 'male' },
};
