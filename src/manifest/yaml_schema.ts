/**
 * The YAML schema manifests are read with: every scalar is the text the user
 * wrote, except an empty value, `~` or `null` (a field not given). So an id
 * written `007`, `1e3`, `0x1F`, `1.0` or `true` stays that text instead of
 * becoming 7, 1000, 31, 1 or true, the same as in a CSV cell. Fields that are
 * numbers (`seconds`) are read from their text, as for CSV.
 *
 * @module
 */
// @ts-types="@types/js-yaml"
import yaml from "js-yaml";

/** YAML 1.2's null: an empty value, `~`, `null`, `Null` or `NULL` (as js-yaml's core schema). */
const NULL = new yaml.Type("tag:yaml.org,2002:null", {
  kind: "scalar",
  resolve: (data: string | null) => data === null || /^(?:~|null|Null|NULL)?$/.test(data),
  construct: () => null,
  predicate: (value: unknown) => value === null,
  represent: () => "null",
});

/** js-yaml's failsafe schema (strings, lists, mappings) plus the null scalars. */
export const MANIFEST_SCHEMA: yaml.Schema = yaml.FAILSAFE_SCHEMA.extend({ implicit: [NULL] });
